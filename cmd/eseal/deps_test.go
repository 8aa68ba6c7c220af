package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductionDependencies: the reference implementations eseal is measured and checked
// against (digitorus/pdfsign and its PDF reader, tjfoc/gmsm) stay in the tests; the binary and
// the libraries are built without them, and only internal/smcrypto imports emmansun/gmsm.
func TestProductionDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/eseal", "../../sign", "../../verify", "../../api", "../../certstore").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/digitorus/") || strings.HasPrefix(d, "github.com/tjfoc/") {
			t.Errorf("the production build depends on %s", d)
		}
	}
	if len(deps) < 50 {
		t.Fatalf("go list found only %d packages: %v", len(deps), deps)
	}
	out, err = exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		if strings.Contains(imports, "github.com/emmansun/gmsm") && pkg != "github.com/eseal/eseal/internal/smcrypto" {
			t.Errorf("%s imports emmansun/gmsm; only internal/smcrypto may", pkg)
		}
	}
}
