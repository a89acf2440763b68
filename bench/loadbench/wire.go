package main

import "encoding/json"

// The sync protocol's messages as a device sends and reads them (the
// public contract, API.md). The bench keeps its own copy so that it loads
// the server as any client does, from the outside.

// Limits of the protocol the bench stays within.
const (
	maxMutationsPerPush = 500
	defaultPullLimit    = 500
)

type pushRequest struct {
	ClientID  string     `json:"client_id"`
	Mutations []mutation `json:"mutations"`
}

type mutation struct {
	ID      string          `json:"id"`
	Seq     int64           `json:"seq"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

type pushResponse struct {
	Results []pushResult `json:"results"`
}

type pushResult struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Version int64  `json:"version"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statusApplied is a mutation done now.
const statusApplied = "applied"

type pullResponse struct {
	Changes []json.RawMessage `json:"changes"`
	Cursor  string            `json:"cursor"`
	More    bool              `json:"more"`
}
