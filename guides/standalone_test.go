//go:build unix

package guides

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRepositoryStandsAlone holds that nothing a user of the repository receives links or refers to the
// workplace folder beside it, which they do not have. Only CI set-up (.ci/) may use a tool from there
// when it is present.
func TestRepositoryStandsAlone(t *testing.T) {
	outside := ".." + "/shared" // written in two parts so that this file does not name it itself
	out, err := exec.Command("git", "-C", root, "grep", "-l", "-F", "-e", outside, "--", ".", ":!.ci").Output()
	if err != nil && len(out) == 0 {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return // git grep found nothing
		}
		t.Fatalf("git grep: %v", err)
	}
	t.Errorf("these files refer to %s, which is outside the repository:\n%s", outside, strings.TrimSpace(string(out)))
}
