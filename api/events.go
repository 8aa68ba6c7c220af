package api

import (
	"net/http"
	"strconv"

	"github.com/eseal/eseal/internal/eventlog"
)

// EventSource gives the region's event log; certstore.Store is one.
type EventSource interface {
	Events(after uint64, limit int) ([]eventlog.Event, error)
}

// maxEventsPage bounds one page of GET /v1/events.
const maxEventsPage = 1000

// eventsPage is the answer of GET /v1/events.
type eventsPage struct {
	Events []eventlog.Event `json:"events"`
	// Next is the after= of the following page: the last event's Seq, or the request's after
	// when there are no newer events.
	Next uint64 `json:"next"`
}

// handleEvents answers GET /v1/events?after=N&limit=M with the events after N, in order, each
// chained to the one before and signed by the region root (eventlog.VerifyChain).
func (s *server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Events == nil {
		writeProblem(w, r, s.log, errNotFound("this service publishes no events"))
		return
	}
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeProblem(w, r, s.log, errBadRequest("after is an event number (0 or more), not %q", v))
			return
		}
		after = n
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventsPage {
			writeProblem(w, r, s.log, errBadRequest("limit is 1 to %d, not %q", maxEventsPage, v))
			return
		}
		limit = n
	}
	events, err := s.cfg.Events.Events(after, limit)
	if err != nil {
		writeProblem(w, r, s.log, errInternal(err))
		return
	}
	page := eventsPage{Events: events, Next: after}
	if page.Events == nil {
		page.Events = []eventlog.Event{}
	}
	if len(events) > 0 {
		page.Next = events[len(events)-1].Seq
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, page)
}
