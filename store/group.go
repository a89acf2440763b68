package store

import (
	"cmp"
	"context"
	"fmt"
	"sync"
)

// maxGroup bounds the callers that share one transaction, so the first of
// them does not wait on an ever longer group.
const maxGroup = 8

// groupCommit queues the callers of InGroupTx that arrive while another
// group is being written.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupCall
	leading bool // a goroutine is writing groups
}

type groupCall struct {
	ctx      context.Context
	fn       func(tx *Tx) error
	err      error
	done     chan struct{}
	answered bool
}

func (c *groupCall) answer(err error) {
	if !c.answered {
		c.err, c.answered = err, true
		close(c.done)
	}
}

// InGroupTx runs fn in a write transaction that it may share with other
// callers waiting at the same moment, each in a savepoint of its own:
// what fn writes lands with its feed rows and audit events or not at all,
// and a failing fn undoes only its own writes. It answers once the shared
// transaction has committed.
//
// This is group commit: sync pushes from several devices arrive together,
// and on SQLite's single writer each would otherwise wait its turn for a
// transaction and a disk sync of its own. Sharing them costs one sync and
// one take of the log head for the lot. On PostgreSQL each caller has a
// transaction of its own.
func (s *Store) InGroupTx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.dialect == Postgres {
		// Its transactions run side by side on a pool and only meet at the
		// log head for the end of each; putting them in a queue measured
		// slower, not faster.
		return s.InTx(ctx, fn)
	}
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		s.leadGroup()
	}
	<-c.done
	return c.err
}

// leadGroup writes the queued callers as one group. Callers who queued
// while it wrote get a new leader, so this caller is not kept from its
// answer.
func (s *Store) leadGroup() {
	g := &s.group
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	calls := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	func() {
		defer func() {
			// Whatever broke, no caller is left waiting and the group
			// goes on with a new leader.
			if p := recover(); p != nil {
				for _, c := range calls {
					c.answer(fmt.Errorf("grouped write: %v", p))
				}
			}
		}()
		s.writeGroup(calls)
	}()

	g.mu.Lock()
	more := len(g.queue) > 0
	g.leading = more
	g.mu.Unlock()
	if more {
		go s.leadGroup()
	}
}

func (s *Store) writeGroup(calls []*groupCall) {
	live := make([]*groupCall, 0, len(calls))
	for _, c := range calls {
		if err := c.ctx.Err(); err != nil {
			c.answer(err) // gone before its turn: nothing written
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	// No caller's cancellation may abort the others' writes.
	err := s.InTx(context.WithoutCancel(live[0].ctx), func(tx *Tx) error {
		for _, c := range live {
			c.err = tx.Savepoint(func(tx *Tx) (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic in a grouped write: %v", p)
					}
				}()
				return c.fn(tx)
			})
		}
		return nil
	})
	for _, c := range live {
		c.answer(cmp.Or(c.err, err)) // its own failure, else the commit's
	}
}
