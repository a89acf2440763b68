package sync

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/store"
)

// Service is the sync protocol on top of the store.
type Service struct {
	Store    *store.Store
	Policies *inspection.Policies
	Limits   media.Limits
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidPattern.MatchString(s) }

// errSkip rolls a mutation's savepoint back without failing the batch.
var errSkip = errors.New("mutation not applied")

// Push applies a batch from one device. The batch is one transaction (one
// disk sync for the lot, shared with the batches of other devices that
// arrive at the same moment: Store.InGroupTx) and each mutation a
// savepoint inside it: a
// mutation and its feed row and audit event land together or not at all,
// and a rejected one does not stop those after it. Mutations are applied in
// seq order whatever order they arrived in.
func (s *Service) Push(ctx context.Context, user *inspection.User, req PushRequest) (PushResponse, error) {
	if err := req.validate(); err != nil {
		return PushResponse{}, err
	}
	muts := append([]Mutation(nil), req.Mutations...)
	sort.SliceStable(muts, func(i, j int) bool { return muts[i].Seq < muts[j].Seq })
	results := map[string]Result{}
	err := s.Store.InGroupTx(ctx, func(tx *store.Tx) error {
		if err := tx.LockDevice(req.ClientID); err != nil {
			return err
		}
		ids := make([]string, len(muts))
		for i := range muts {
			muts[i].ID = strings.ToLower(muts[i].ID)
			ids[i] = muts[i].ID
		}
		// One look-up for the batch's repeats, one insert for its answers.
		seen, err := tx.Mutations(ids)
		if err != nil {
			return err
		}
		if err := tx.LookAhead(savedInspections(muts, seen)); err != nil {
			return err
		}
		var records []*store.MutationRecord
		for _, m := range muts {
			res, rec, err := s.pushOne(tx, user, req.ClientID, m, seen[m.ID])
			if err != nil {
				return err
			}
			if rec != nil {
				records = append(records, rec)
			}
			res.ID = m.ID
			results[m.ID] = res
		}
		return tx.RecordMutations(records)
	})
	if err != nil {
		return PushResponse{}, err
	}
	out := PushResponse{Results: make([]Result, len(req.Mutations))}
	for i, m := range req.Mutations {
		out.Results[i] = results[strings.ToLower(m.ID)]
		out.Results[i].ID = m.ID
	}
	return out, nil
}

// savedInspections are the ids of the inspections the new inspection.save
// mutations of a batch write to (a payload that does not decode is left
// for its mutation to reject).
func savedInspections(muts []Mutation, seen map[string]*store.MutationRecord) []string {
	var ids []string
	for _, m := range muts {
		var p struct{ ID string }
		if m.Type != "inspection.save" || seen[m.ID] != nil || json.Unmarshal(m.Payload, &p) != nil || !isUUID(p.ID) {
			continue
		}
		ids = append(ids, strings.ToLower(p.ID))
	}
	return ids
}

// pushOne answers one mutation, and returns the record to keep of it (none
// for a repeat or a retry). Only infrastructure failures return an error
// (and fail the batch, which the device then sends again).
func (s *Service) pushOne(tx *store.Tx, user *inspection.User, clientID string, m Mutation, prev *store.MutationRecord) (Result, *store.MutationRecord, error) {
	if prev != nil {
		r := Result{Status: StatusDuplicate, First: prev.Status}
		if prev.ErrorCode != "" {
			r.Error = &ResultError{Code: prev.ErrorCode, Message: prev.Error}
		}
		return r, nil, nil
	}
	var res Result
	err := tx.Savepoint(func(tx *store.Tx) error {
		var err error
		res, err = s.apply(tx, user, m)
		if err != nil {
			return err
		}
		if res.Status != StatusApplied {
			return errSkip
		}
		return nil
	})
	switch {
	case err == nil, errors.Is(err, errSkip):
	case inspection.ErrorCode(err) != inspection.EINTERNAL:
		// A domain refusal raised by the store (a version conflict, a
		// missing record): the savepoint is undone and the answer kept.
		res = rejected(err)
	default:
		return Result{}, nil, err
	}
	if res.Status == StatusRetry {
		return res, nil, nil // not recorded: it will come again
	}
	rec := &store.MutationRecord{ID: m.ID, ClientID: clientID, Seq: m.Seq, UserID: user.ID, Type: m.Type, Status: res.Status}
	if res.Error != nil {
		rec.ErrorCode, rec.Error = res.Error.Code, res.Error.Message
	}
	return res, rec, nil
}

// apply dispatches on the mutation type after checking who it acts for.
func (s *Service) apply(tx *store.Tx, pusher *inspection.User, m Mutation) (Result, error) {
	actor, res, err := s.actor(tx, pusher, m)
	if actor == nil || err != nil {
		return res, err
	}
	switch m.Type {
	case "inspection.save":
		return s.saveInspection(tx, actor, m.Payload)
	case "inspection.complete":
		return s.completeInspection(tx, actor, m.Payload)
	case "inspection.reopen":
		return s.reopenInspection(tx, actor, m.Payload)
	case "inspection.discard":
		return s.discardInspection(tx, actor, m.Payload)
	case "media.declare":
		return s.declareMedia(tx, actor, m.Payload)
	case "return.receive":
		return s.receiveReturn(tx, actor, m.Payload)
	}
	return rejected(inspection.Errorf(inspection.EINVALID, "Unknown mutation type %q.", m.Type)), nil
}

// actor is the user a mutation acts for. An inspector pushes only their own
// work; a lead or admin may push work made by others of their site (a
// shared phone's outbox). Anyone else's work waits, unconsumed, until that
// user signs in.
func (s *Service) actor(tx *store.Tx, pusher *inspection.User, m Mutation) (*inspection.User, Result, error) {
	if m.ActorID == "" || m.ActorID == pusher.ID {
		return pusher, Result{}, nil
	}
	actor, err := tx.User(m.ActorID)
	if inspection.ErrorCode(err) == inspection.ENOTFOUND {
		return nil, rejected(inspection.Errorf(inspection.EINVALID, "actor_id names no user.")), nil
	} else if err != nil {
		return nil, Result{}, err
	}
	if !pusher.Role.Allows(inspection.RoleLead) || (pusher.Role != inspection.RoleAdmin && pusher.SiteID != actor.SiteID) {
		return nil, retry(inspection.EFORBIDDEN, "This change was made by %s; it will be sent when they sign in.", actor.Username), nil
	}
	return actor, Result{}, nil
}

func decode(payload json.RawMessage, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		var appErr *inspection.Error
		if errors.As(err, &appErr) {
			return appErr
		}
		return inspection.Errorf(inspection.EINVALID, "The payload is not valid for this mutation type.")
	}
	return nil
}

// savePayload is inspection.save: fields left out (or null) stay as they are.
type savePayload struct {
	ID                   string                    `json:"id"`
	ReturnID             *string                   `json:"return_id"`
	ScannedCode          *string                   `json:"scanned_code"`
	Checklist            *inspection.Checklist     `json:"checklist"`
	Grade                *inspection.Grade         `json:"grade"`
	UsedCondition        *inspection.UsedCondition `json:"used_condition"`
	Disposition          *inspection.Disposition   `json:"disposition"`
	Verdict              *inspection.Verdict       `json:"verdict"`
	RestockingFeePercent *int                      `json:"restocking_fee_percent"`
	Notes                *string                   `json:"notes"`
	CapturedAt           *time.Time                `json:"captured_at"`
	BaseVersion          *int64                    `json:"base_version"`
}

func (p *savePayload) applyTo(in *inspection.Inspection) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.ScannedCode, p.ScannedCode)
	set(&in.Notes, p.Notes)
	if p.ReturnID != nil {
		in.ReturnID = p.ReturnID
		if *p.ReturnID == "" {
			in.ReturnID = nil
		}
	}
	if p.ScannedCode != nil {
		in.ScannedCode = labels.Normalize(*p.ScannedCode)
	}
	if p.Checklist != nil {
		in.Checklist = *p.Checklist
	}
	if p.Grade != nil {
		in.Grade = *p.Grade
	}
	if p.UsedCondition != nil {
		in.UsedCondition = *p.UsedCondition
	}
	if p.Disposition != nil {
		in.Disposition = *p.Disposition
	}
	if p.Verdict != nil {
		in.Verdict = *p.Verdict
	}
	if p.RestockingFeePercent != nil {
		in.RestockingFeePercent = *p.RestockingFeePercent
	}
	if p.CapturedAt != nil && in.CapturedAt == nil {
		t := p.CapturedAt.UTC()
		in.CapturedAt = &t // a device's clock is a fact about capture, never an order
	}
}

func (s *Service) saveInspection(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (Result, error) {
	var p savePayload
	if err := decode(payload, &p); err != nil {
		return rejected(err), nil
	}
	if !isUUID(p.ID) {
		return rejected(inspection.Errorf(inspection.EINVALID, "inspection.save needs the inspection's id (a UUID).")), nil
	}
	p.ID = strings.ToLower(p.ID)
	in, err := tx.Inspection(p.ID)
	switch {
	case inspection.ErrorCode(err) == inspection.ENOTFOUND:
		return s.createInspection(tx, actor, &p)
	case err != nil:
		return Result{}, err
	}
	// The site first: another site's user must not learn that the
	// inspection exists, let alone its version.
	if !mayWrite(actor, in.SiteID) {
		return rejected(inspection.Errorf(inspection.ENOTFOUND, "Inspection not found.")), nil
	}
	if res, ok := checkVersion(in, p.BaseVersion); !ok {
		return res, nil
	}
	if in.Status == inspection.StatusCompleted {
		return rejected(inspection.Errorf(inspection.ECONFLICT, "This inspection is completed; a lead must reopen it before it can change.")), nil
	}
	from := in.Version
	p.applyTo(in)
	if res, ok := s.checkDraft(tx, in); !ok {
		return res, nil
	}
	in.Version = from + 1
	if err := tx.UpdateInspection(in, from, actor.ID, "inspection.save", payloadSummary(payload)); err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied, Version: in.Version}, nil
}

func (s *Service) createInspection(tx *store.Tx, actor *inspection.User, p *savePayload) (Result, error) {
	if p.BaseVersion != nil && *p.BaseVersion > 0 {
		// The device edits a version the server never saw created: the
		// creating save has not arrived yet.
		return retry(inspection.ENOTFOUND, "Inspection %s is not on the server yet; send its first save before this one.", p.ID), nil
	}
	in := &inspection.Inspection{ID: p.ID, SiteID: actor.SiteID, InspectorID: actor.ID, Status: inspection.StatusDraft, Version: 1}
	p.applyTo(in)
	if res, ok := s.checkDraft(tx, in); !ok {
		return res, nil
	}
	if err := tx.InsertInspection(in, actor.ID); err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied, Version: in.Version}, nil
}

// checkDraft validates the fields and the linked return.
func (s *Service) checkDraft(tx *store.Tx, in *inspection.Inspection) (Result, bool) {
	if err := inspection.ValidateDraft(in); err != nil {
		return rejected(err), false
	}
	if in.ReturnID == nil {
		return Result{}, true
	}
	r, err := tx.Return(*in.ReturnID)
	if err != nil || r.SiteID != in.SiteID {
		return rejected(inspection.Errorf(inspection.EINVALID, "return_id names no return of this site.")), false
	}
	return Result{}, true
}

// checkVersion compares a device's base version with the server's. Behind:
// another device changed it first, and this write loses (the device pulls
// and shows the user). Ahead: the server has not seen the device's earlier
// write yet, so this one waits.
func checkVersion(in *inspection.Inspection, base *int64) (Result, bool) {
	switch {
	case base == nil:
		return rejected(inspection.Errorf(inspection.EINVALID, "Changing an existing inspection needs base_version.")), false
	case *base < in.Version:
		r := rejected(inspection.Errorf(inspection.ECONFLICT,
			"This inspection was changed on another device (now version %d); your change from version %d was not applied.", in.Version, *base))
		r.Error.CurrentVersion = in.Version
		return r, false
	case *base > in.Version:
		return retry(inspection.ECONFLICT, "The server has version %d; an earlier change from this device has not arrived yet.", in.Version), false
	}
	return Result{}, true
}

func mayWrite(u *inspection.User, siteID string) bool {
	return u.Role == inspection.RoleAdmin || u.SiteID == siteID
}

// payloadSummary keeps the audit event's detail: the payload as sent.
func payloadSummary(payload json.RawMessage) map[string]any {
	var m map[string]any
	json.Unmarshal(payload, &m)
	return m
}

// loadTarget decodes an id payload and loads the inspection it names,
// deciding the usual answers itself: a bad payload is rejected, an
// inspection not on the server yet waits (retry), another site's is not
// found. done is that answer when there is one.
func loadTarget(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (p idPayload, in *inspection.Inspection, done *Result, err error) {
	if err := decode(payload, &p); err != nil {
		r := rejected(err)
		return p, nil, &r, nil
	}
	in, err = tx.Inspection(strings.ToLower(p.ID))
	switch {
	case inspection.ErrorCode(err) == inspection.ENOTFOUND:
		r := retry(inspection.ENOTFOUND, "Inspection %s is not on the server yet; its saves come first.", p.ID)
		return p, nil, &r, nil
	case err != nil:
		return p, nil, nil, err
	case !mayWrite(actor, in.SiteID):
		r := rejected(inspection.Errorf(inspection.ENOTFOUND, "Inspection not found."))
		return p, nil, &r, nil
	}
	return p, in, nil, nil
}

// answer returns a decided answer, or the zero Result with a store error.
func answer(done *Result, err error) (Result, error) {
	if done != nil {
		return *done, err
	}
	return Result{}, err
}

type idPayload struct {
	ID          string `json:"id"`
	BaseVersion *int64 `json:"base_version"`
	Reason      string `json:"reason"`
}

// completeInspection checks the bench's rules and closes the inspection.
// Files may still be uploading: they count if declared, and the answer
// says how many are still on their way.
func (s *Service) completeInspection(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (Result, error) {
	p, in, done, err := loadTarget(tx, actor, payload)
	if done != nil || err != nil {
		return answer(done, err)
	}
	if in.Status == inspection.StatusCompleted {
		return rejected(inspection.Errorf(inspection.ECONFLICT, "This inspection is already completed.")), nil
	}
	if p.BaseVersion != nil {
		if res, ok := checkVersion(in, p.BaseVersion); !ok {
			return res, nil
		}
	}
	var ret *inspection.Return
	if in.ReturnID != nil {
		if ret, err = tx.Return(*in.ReturnID); err != nil {
			return Result{}, err
		}
	}
	files, err := tx.MediaOf(in.ID)
	if err != nil {
		return Result{}, err
	}
	policy := s.Policies.For(marketplaceOf(ret))
	if err := inspection.CompletionError(inspection.CompletionCheck(in, ret, files, policy)); err != nil {
		return rejected(err), nil
	}
	from, now := in.Version, tx.Now()
	in.Status, in.CompletedAt, in.Version = inspection.StatusCompleted, &now, from+1
	if ret != nil {
		in.RestockingFeeAmount = inspection.RestockingFee(ret.OrderAmount, in.RestockingFeePercent)
	}
	if err := tx.UpdateInspection(in, from, actor.ID, "inspection.complete", map[string]any{
		"grade": in.Grade, "verdict": in.Verdict, "disposition": in.Disposition, "fee_percent": in.RestockingFeePercent}); err != nil {
		return Result{}, err
	}
	if err := tx.Emit(store.EventInspectionCompleted, in.SiteID, map[string]any{"inspection": in, "return": ret}); err != nil {
		return Result{}, err
	}
	if in.Grade == inspection.GradeResellable {
		if err := s.assignUnit(tx, actor, in, ret); err != nil {
			return Result{}, err
		}
	}
	waiting := 0
	for _, f := range files {
		if f.Status != inspection.MediaVerified && f.Status != inspection.MediaRejected {
			waiting++
		}
	}
	return Result{Status: StatusApplied, Version: in.Version, Waiting: &waiting}, nil
}

// assignUnit gives a resellable unit its new label, once: a reopened and
// re-completed inspection keeps the unit it had.
func (s *Service) assignUnit(tx *store.Tx, actor *inspection.User, in *inspection.Inspection, ret *inspection.Return) error {
	if _, err := tx.UnitFor(in.ID); err == nil {
		return nil
	} else if inspection.ErrorCode(err) != inspection.ENOTFOUND {
		return err
	}
	u := &inspection.UnitLabel{ID: labels.NewUnitID(), SiteID: in.SiteID, InspectionID: in.ID, ReturnID: in.ReturnID, Condition: "new"}
	if ret != nil {
		u.SKU = ret.SKU
	}
	return tx.InsertUnit(u, actor.ID)
}

func marketplaceOf(r *inspection.Return) string {
	if r == nil {
		return ""
	}
	return r.Marketplace
}

// reopenInspection lets a lead change a completed inspection again; the
// reason is audited.
func (s *Service) reopenInspection(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (Result, error) {
	p, in, done, err := loadTarget(tx, actor, payload)
	switch {
	case done != nil || err != nil:
		return answer(done, err)
	case !actor.Role.Allows(inspection.RoleLead):
		return rejected(inspection.Errorf(inspection.EFORBIDDEN, "Only a lead may reopen a completed inspection.")), nil
	case strings.TrimSpace(p.Reason) == "" || len(p.Reason) > 1000:
		return rejected(inspection.Errorf(inspection.EINVALID, "Say why the inspection is reopened (reason, up to 1000 characters).")), nil
	case in.Status != inspection.StatusCompleted:
		return rejected(inspection.Errorf(inspection.ECONFLICT, "Only a completed inspection can be reopened.")), nil
	}
	from := in.Version
	in.Status, in.CompletedAt, in.Version = inspection.StatusDraft, nil, from+1
	if err := tx.UpdateInspection(in, from, actor.ID, "inspection.reopen", map[string]any{"reason": p.Reason}); err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied, Version: in.Version}, nil
}

// discardInspection deletes a draft opened by mistake. A draft with
// evidence on its way or stored is never thrown away: relink it to the
// right return (inspection.save return_id) instead.
func (s *Service) discardInspection(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (Result, error) {
	p, in, done, err := loadTarget(tx, actor, payload)
	switch {
	case done != nil || err != nil:
		return answer(done, err)
	case in.Status != inspection.StatusDraft:
		return rejected(inspection.Errorf(inspection.ECONFLICT, "Only a draft can be discarded; a completed inspection stays on record.")), nil
	}
	if res, ok := checkVersion(in, p.BaseVersion); !ok {
		return res, nil
	}
	files, err := tx.MediaOf(in.ID)
	if err != nil {
		return Result{}, err
	}
	for _, f := range files {
		if f.Status != inspection.MediaRejected {
			return rejected(inspection.Errorf(inspection.ECONFLICT, "This draft has evidence attached, so it stays: link it to the right return instead.")), nil
		}
	}
	if err := tx.DeleteDraft(in, actor.ID, p.Reason); err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied}, nil
}

type declarePayload struct {
	ID           string     `json:"id"`
	InspectionID string     `json:"inspection_id"`
	Kind         string     `json:"kind"`
	ContentType  string     `json:"content_type"`
	Filename     string     `json:"filename"`
	Size         int64      `json:"size"`
	SHA256       string     `json:"sha256"`
	CapturedAt   *time.Time `json:"captured_at"`
}

// declareMedia records a file the device captured before its bytes
// arrive, so completion rules and the office see it at once.
func (s *Service) declareMedia(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (Result, error) {
	var p declarePayload
	if err := decode(payload, &p); err != nil {
		return rejected(err), nil
	}
	n := media.NewUpload{MediaID: p.ID, InspectionID: p.InspectionID, Kind: p.Kind, Filename: p.Filename,
		ContentType: p.ContentType, SHA256: p.SHA256, Length: p.Size}
	if err := n.Validate(s.Limits); err != nil {
		return rejected(err), nil
	}
	in, err := tx.Inspection(strings.ToLower(p.InspectionID))
	switch {
	case inspection.ErrorCode(err) == inspection.ENOTFOUND:
		return retry(inspection.ENOTFOUND, "Inspection %s is not on the server yet; its saves come first.", p.InspectionID), nil
	case err != nil:
		return Result{}, err
	case !mayWrite(actor, in.SiteID):
		return rejected(inspection.Errorf(inspection.ENOTFOUND, "Inspection not found.")), nil
	}
	id := strings.ToLower(p.ID)
	if existing, err := tx.Media(id); err == nil {
		switch {
		case existing.InspectionID != in.ID:
			return rejected(inspection.Errorf(inspection.ECONFLICT, "Media %s belongs to another inspection.", id)), nil
		case existing.Status == inspection.MediaVerified && existing.SHA256 == n.SHA256:
			return Result{Status: StatusApplied}, nil // the bytes beat the declaration here
		case existing.Status == inspection.MediaVerified:
			return rejected(inspection.Errorf(inspection.ECONFLICT, "Media %s is already verified with other content.", id)), nil
		}
	}
	var captured *time.Time
	if p.CapturedAt != nil {
		t := p.CapturedAt.UTC()
		captured = &t
	}
	m := &inspection.Media{ID: id, InspectionID: in.ID, SiteID: in.SiteID, Kind: n.Kind, ContentType: n.ContentType,
		Filename: n.Filename, Size: n.Length, SHA256: n.SHA256, Status: inspection.MediaUploading, CapturedAt: captured}
	if err := tx.DeclareMedia(m, actor.ID); err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied}, nil
}

type receivePayload struct {
	ReturnID   string     `json:"return_id"`
	ReceivedAt *time.Time `json:"received_at"`
}

// maxClockSkew bounds how far a device's arrival time is believed: a phone
// with a wrong clock must not start or end a refund clock days off.
const maxClockSkew = 7 * 24 * time.Hour

// receiveReturn records that a parcel arrived, which starts the refund
// clock. The device's time is used when it is plausible, since a phone
// that was offline scanned the parcel before it could tell us.
func (s *Service) receiveReturn(tx *store.Tx, actor *inspection.User, payload json.RawMessage) (Result, error) {
	var p receivePayload
	if err := decode(payload, &p); err != nil {
		return rejected(err), nil
	}
	r, err := tx.Return(p.ReturnID)
	switch {
	case inspection.ErrorCode(err) == inspection.ENOTFOUND:
		return rejected(inspection.Errorf(inspection.ENOTFOUND, "Return %s is not on the server.", p.ReturnID)), nil
	case err != nil:
		return Result{}, err
	case !mayWrite(actor, r.SiteID):
		return rejected(inspection.Errorf(inspection.ENOTFOUND, "Return not found.")), nil
	case r.ArrivedAt != nil:
		return Result{Status: StatusApplied, Version: r.Version}, nil // the first arrival stands
	}
	at := tx.Now()
	if p.ReceivedAt != nil && p.ReceivedAt.Before(at) && at.Sub(*p.ReceivedAt) < maxClockSkew {
		at = p.ReceivedAt.UTC().Truncate(time.Microsecond)
	}
	if err := tx.MarkArrived(r, at, actor.ID); err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied, Version: r.Version}, nil
}
