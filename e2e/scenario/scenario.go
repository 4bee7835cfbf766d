package scenario

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/e2e/cluster"
	"github.com/kvenv/kvenv/e2e/fakeazure"
	"github.com/kvenv/kvenv/e2e/postgres"
)

// Scenario is the tutorial, set up on a cluster.
type Scenario struct {
	Cluster *cluster.Cluster
	Azure   *fakeazure.Azure
	DB      *postgres.Server
	Dir     string // the scenario's own files (helm state, values), below the cluster's directory

	Tenant           string // Entra ID tenant of every identity
	AppClientID      string // federated with the app's service account; may read the vault
	IntruderClientID string // federated with the intruder service account; may not
	KvenvImage       string // by digest
	AppImage         string // by digest
	Timings          []cluster.Timing

	creds   Credentials
	closers []func() error
	logf    func(format string, args ...any)
}

// Up sets the scenario up on c, step by step (each logged with its
// duration): PostgreSQL, the Azure fakes holding the credentials, the
// images, kvenv from its chart, and the sample app, Ready. On error what
// was set up is closed again.
func Up(c *cluster.Cluster, logf func(format string, args ...any)) (*Scenario, error) {
	s := &Scenario{
		Cluster: c, Dir: filepath.Join(c.Dir, "scenario"), logf: logf,
		Tenant: uuid(), AppClientID: uuid(), IntruderClientID: uuid(),
	}
	steps := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"kubernetes Service address for in-cluster clients", s.startKubernetesService},
		{"PostgreSQL with the tutorial's database and user", s.startDatabase},
		{"fake Key Vault and Entra ID holding the credentials", s.startAzure},
		{"kvenv and sample app images", s.pushImages},
		{"sample app namespace", s.createNamespaces},
		{"kvenv from its Helm chart", s.installKvenv},
		{"sample app Deployment Ready", s.deployApp},
	}
	for _, step := range steps {
		begin := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		err := step.run(ctx)
		cancel()
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("kvenv scenario: %s: %w", step.name, err)
		}
		s.Timings = append(s.Timings, cluster.Timing{Step: step.name, Duration: time.Since(begin)})
		logf("kvenv scenario: %s done in %s", step.name, time.Since(begin).Round(time.Millisecond))
	}
	return s, nil
}

// Values are the three credentials, for the test's leak scans only.
func (s *Scenario) Values() []string { return s.creds.Values() }

// Credentials are the values themselves, for the test's positive controls.
func (s *Scenario) Credentials() Credentials { return s.creds }

// Close stops what Up started, in reverse order.
func (s *Scenario) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			s.logf("kvenv scenario: closing: %v", err)
		}
	}
	s.closers = nil
}

func (s *Scenario) startKubernetesService(context.Context) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	svc, err := serveKubernetesService(s.Cluster.NodeIP + ":6443")
	if err != nil {
		return err
	}
	s.closers = append(s.closers, svc.Close)
	return nil
}

func (s *Scenario) startDatabase(context.Context) error {
	// The postgres user must traverse the test's directories to its own.
	for _, d := range []string{s.Cluster.Dir, filepath.Dir(s.Cluster.Dir)} {
		if err := os.Chmod(d, 0o711); err != nil {
			return err
		}
	}
	db, err := postgres.Start(postgres.Options{
		Dir: filepath.Join(s.Cluster.Dir, "postgres"), ListenAddr: s.Cluster.NodeIP,
		ClientCIDR: podCIDR, LogFile: filepath.Join(s.Cluster.LogDir, "postgres.log"),
	})
	if err != nil {
		return err
	}
	s.DB = db
	s.closers = append(s.closers, func() error { db.Stop(); return nil })
	s.creds = newCredentials(db.Addr())
	return db.CreateUserAndDatabase(s.creds.Username, s.creds.Password, Database)
}

func (s *Scenario) startAzure(context.Context) error {
	jwks := func(ctx context.Context) ([]byte, error) {
		return s.Cluster.Client.Discovery().RESTClient().Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	}
	fed := fakeazure.NewFederation(jwks,
		fakeazure.FederatedCredential{Issuer: s.Cluster.Issuer, Subject: fakeazure.ServiceAccountSubject(AppNamespace, AppName), ClientID: s.AppClientID},
		fakeazure.FederatedCredential{Issuer: s.Cluster.Issuer, Subject: fakeazure.ServiceAccountSubject(AppNamespace, IntruderServiceAccount), ClientID: s.IntruderClientID})
	az, err := fakeazure.Start(fakeazure.Options{ListenIP: s.Cluster.NodeIP, Tenant: s.Tenant, Federation: fed})
	if err != nil {
		return err
	}
	s.Azure = az
	s.closers = append(s.closers, func() error { az.Close(); return nil })
	for name, value := range s.creds.BySecret() {
		az.Vault.Put(name, value)
	}
	// The role assignment "Key Vault Secrets User" on the vault, for the app only.
	az.Vault.Allow(s.AppClientID)
	return nil
}

func (s *Scenario) pushImages(ctx context.Context) (err error) {
	s.KvenvImage, s.AppImage, err = pushImages(ctx, s.Cluster)
	return err
}

func (s *Scenario) installKvenv(ctx context.Context) error {
	values := chartValues(s.Cluster, s.KvenvImage, string(s.Azure.CA.PEM()), s.Azure.VaultURL())
	if err := helmInstall(ctx, s.Cluster, s.Dir, values); err != nil {
		return err
	}
	probe := s.PodTemplate("kvenv-probe", AppName, s.AppClientID, s.appContainer())
	return s.waitKvenvReady(&corev1.Pod{ObjectMeta: probe.ObjectMeta, Spec: probe.Spec})
}

// podCIDR is e2e/cluster's default pod network, where the app connects from.
const podCIDR = "10.88.0.0/24"

// uuid is a random RFC 4122 version 4 UUID, the shape of Azure IDs.
func uuid() string {
	h := randomHex(16)
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32])
}
