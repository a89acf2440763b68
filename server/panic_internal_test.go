package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"time"
)

func TestPanicRecovered(t *testing.T) {
	logs := &bytes.Buffer{}
	s, err := New(context.Background(), Config{DataDir: t.TempDir(), Now: time.Now}, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A route added after the table only for this test.
	s.app.Get("/boom", func(*fiber.Ctx) error { panic("secret detail") })
	res, err := s.app.Test(httptest.NewRequest("GET", "/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	var body apiError
	json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != 500 || body.Error.Code != "internal" || strings.Contains(body.Error.Message, "secret") {
		t.Fatalf("got %d %+v, want 500 internal without the panic text", res.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "secret detail") {
		t.Fatal("the panic is not in the log")
	}
}
