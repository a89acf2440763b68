package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Client speaks to one returnbench server over HTTP as one user, from the
// outside, as the PWA does. Its transport is the bench's to choose: the
// connections it keeps decide what a figure measures.
type Client struct {
	HTTP  *http.Client
	Base  string // the server's URL, e.g. http://127.0.0.1:41234
	Token string // the session, once Login has signed in
}

// maxAnswer bounds what the bench reads of an answer it decodes: a
// server gone wrong must fail the run, not fill the bench's memory.
const maxAnswer = 16 << 20

// Send sends req with the session and returns the body of a 200 answer;
// any other status is an error carrying the start of the body. The body
// is read to its end, so the connection goes back to the pool.
func (c *Client) Send(req *http.Request) ([]byte, error) {
	if c.Token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d: %.300s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return body, nil
}

// Do sends req as Send does and decodes the answer into out (out nil: the
// answer is dropped).
func (c *Client) Do(req *http.Request, out any) error {
	body, err := c.Send(req)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(body, out)
}

// Login signs user in and keeps the session for the requests that follow.
func (c *Client) Login(ctx context.Context, user, password string) error {
	c.Token = ""
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequestWithContext(ctx, "POST", c.Base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Token string `json:"token"`
	}
	if err := c.Do(req, &out); err != nil {
		return fmt.Errorf("log in as %s: %w", user, err)
	}
	c.Token = out.Token
	return nil
}
