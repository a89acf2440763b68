package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects the server's log lines from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func runMain(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut}
	err := m.Run(context.Background(), args)
	return out.String() + errOut.String(), err
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	t.Run("OK", func(t *testing.T) {
		out, err := runMain(t, "s3cret-pass\n", "user", "add", "ana", "--role", "inspector", "--data-dir", dir)
		if err != nil || !strings.Contains(out, "added ana (inspector)") {
			t.Fatalf("got %q, %v", out, err)
		}
	})
	for _, tt := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"ErrDuplicate", "s3cret-pass\n", "already taken", []string{"ana", "--role", "lead"}},
		{"ErrUnknownRole", "s3cret-pass\n", "Unknown role", []string{"ben", "--role", "boss"}},
		{"ErrShortPassword", "short\n", "at least 8 characters", []string{"ben", "--role", "lead"}},
		{"ErrNoName", "s3cret-pass\n", "usage", []string{"--role", "lead"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"user", "add"}, tt.args...)
			_, err := runMain(t, tt.stdin, append(args, "--data-dir", dir)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// serve runs the real program on a free port until the test ends and
// returns its base URL and log.
func serve(t *testing.T, scheme string, args ...string) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Ready: func(a string) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v", err)
		}
	})
	select {
	case addr := <-ready:
		return scheme + "://" + addr, logs
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	base, logs := serve(t, "http", "--data-dir", dir)
	t.Run("SetupLinkPrinted", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(logs.String(), "/setup#token=") {
			if time.Now().After(deadline) {
				t.Fatalf("no setup link in the log:\n%s", logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	if out, err := runMain(t, "bench-pass-1\n", "user", "add", "ana", "--role", "inspector", "--data-dir", dir); err != nil {
		t.Fatalf("user add while serving: %v %s", err, out)
	}
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"ana","password":"bench-pass-1"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
	var login struct{ Token string }
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	req, _ := http.NewRequest("GET", base+"/api/v1/scan/1Z5R89390357567127", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var scan struct{ Matches []struct{ Kind string } }
	json.NewDecoder(res.Body).Decode(&scan)
	if res.StatusCode != 200 || len(scan.Matches) == 0 || scan.Matches[0].Kind != "ups" {
		t.Fatalf("scan: %d %+v, want a ups match", res.StatusCode, scan)
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	base, _ := serve(t, "https", "--data-dir", dir, "--tls-cert", certFile, "--tls-key", keyFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get(strings.Replace(base, "127.0.0.1", "localhost", 1) + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("got %d over TLS=%v, want 200 over TLS", res.StatusCode, res.TLS != nil)
	}
}

func TestServeBadConfig(t *testing.T) {
	_, err := runMain(t, "", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--database-url", "mysql://x")
	if err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("got %v, want an error naming postgres://", err)
	}
}

func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := runMain(t, "", "import", "../../server/testdata/reports/mfn_returns.tsv", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "mfn_returns: 2 rows: 2 inserted") {
		t.Fatalf("import: %q, %v", out, err)
	}
	out, err = runMain(t, "", "import", "../../server/testdata/reports/mfn_returns.tsv", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "0 inserted, 0 updated, 2 unchanged") {
		t.Fatalf("re-import: %q, %v", out, err)
	}
	if _, err := runMain(t, "", "import", "../../server/testdata/reports/unknown_layout.csv", "--data-dir", dir); err == nil ||
		!strings.Contains(err.Error(), "Expected one of") {
		t.Fatalf("unknown layout: %v", err)
	}
}
