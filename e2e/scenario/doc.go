// Package scenario replays the Key Vault tutorial (chapter 5 of the secrets
// chapter kvenv started from) on a real single-node cluster (e2e/cluster):
// PostgreSQL holds the todo database, a fake Key Vault holds the database's
// URL, user name and password, a fake Entra ID checks the pods' workload
// identity tokens against the API server's keys, kvenv is installed from
// its Helm chart, and the sample app (e2e/sampleapp) gets its
// SPRING_DATASOURCE_* variables from kvenv alone.
//
// Up is shared by the end-to-end test (this package's tests) and the demo
// (e2e/cmd/kvenv-demo), so what a person sees is what the test checks.
//
// The credentials are made at random in this process's memory and handed
// only to the fake vault; PostgreSQL gets the password's SCRAM verifier.
// Nothing here writes them anywhere, which the test's leak scans rely on.
package scenario
