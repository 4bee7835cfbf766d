package main

import (
	"encoding/json"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The test binary doubles as the program kvenv-exec runs. Its mode comes from
// the environment, usually from a value file, which also shows that value
// files reach the program.
const (
	helperModeEnv = "KVENV_EXEC_HELPER"
	helperName    = "kvenv-test-helper"
	termExitCode  = 42
)

type report struct {
	PID  int      `json:"pid"`
	Args []string `json:"args"`
	Env  []string `json:"env"`
}

func helperMain(mode string) int {
	switch {
	case mode == "report":
		json.NewEncoder(os.Stdout).Encode(report{PID: os.Getpid(), Args: os.Args, Env: os.Environ()})
		return 0
	case mode == "term":
		return waitForTERM()
	case strings.HasPrefix(mode, "exit:"):
		code, err := strconv.Atoi(strings.TrimPrefix(mode, "exit:"))
		if err != nil {
			return 99
		}
		return code
	}
	os.Stderr.WriteString("unknown helper mode " + mode + "\n")
	return 98
}

// waitForTERM exits with termExitCode when SIGTERM arrives, bounded so a lost
// signal fails the test instead of hanging it.
func waitForTERM() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	os.Stdout.WriteString("ready\n")
	select {
	case <-sigs:
		return termExitCode
	case <-time.After(30 * time.Second):
		return 97
	}
}
