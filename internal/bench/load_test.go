package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal/eseal/api"
	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

// loadSetup is a region with one seal and licences signed with it, each recorded with its
// licence identifier, served by the API on loopback as `eseal serve` wires it.
type loadSetup struct {
	store    *certstore.Store
	srv      *httptest.Server
	licences [][]byte
	ids      []string
}

func newLoadSetup(tb testing.TB, n int) *loadSetup {
	tb.Helper()
	store, err := certstore.Open(tb.TempDir(), certstore.Options{Passphrase: []byte("load")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if _, err := store.InitRegion("330100", "杭州市行政审批局"); err != nil {
		tb.Fatal(err)
	}
	rec, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		tb.Fatal(err)
	}
	key, sl, chain, err := store.SealSigner(rec.ESID)
	if err != nil {
		tb.Fatal(err)
	}
	sealer := sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}
	l := &loadSetup{store: store}
	for i := range n {
		doc := testpdf.DefaultLicence
		doc.Number = fmt.Sprintf("330100-2026-%06d", i)
		var out bytes.Buffer
		res, err := sign.SignPDF(bytes.NewReader(doc.Bytes()), &out, sealer, sign.PDFOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		id := fmt.Sprintf("LOCAL-2026-%04d", i)
		if err := store.RecordIssuance(certstore.IssuanceRecord{ID: hex.EncodeToString(res.Digest), Format: "PDF", ESID: rec.ESID,
			SignedAt: res.SigningTime, LicenceID: id}); err != nil {
			tb.Fatal(err)
		}
		l.licences, l.ids = append(l.licences, out.Bytes()), append(l.ids, id)
	}
	l.srv = httptest.NewServer(api.NewRouter(api.Config{Anchors: store, Revocation: store, Store: store, TempDir: tb.TempDir()}))
	tb.Cleanup(l.srv.Close)
	return l
}

// post verifies one licence over HTTP and returns its report.
func (l *loadSetup) post(client *http.Client, i int) (*verify.Report, error) {
	resp, err := client.Post(l.srv.URL+"/v1/verify", "application/pdf", bytes.NewReader(l.licences[i]))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	var rep verify.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// loadDuration is how long TestLoad runs: ESEAL_LOAD_DURATION (e.g. 60s) or 10 seconds.
func loadDuration(t *testing.T) time.Duration {
	if v := os.Getenv("ESEAL_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("ESEAL_LOAD_DURATION: %v", err)
		}
		return d
	}
	return 10 * time.Second
}

// TestLoad: eight clients verify licences over loopback HTTP for a bounded time while a revoker
// revokes one licence after another. No request fails; every answer agrees with the store at
// its time (a licence revoked before the request began is never reported in force, one reported
// revoked was revoked before the answer came); the heap after the run is not larger than after
// the warm-up by more than a small bound.
func TestLoad(t *testing.T) {
	l := newLoadSetup(t, 24)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for i := range l.licences { // warm-up: every licence once
		if rep, err := l.post(client, i); err != nil || rep.Indication != verify.TotalPassed {
			t.Fatalf("warm-up %d: %v %+v", i, err, rep)
		}
	}
	heapBefore := heapInUse()

	var revokedAt sync.Map // licence index → time.Time the revocation was committed
	ctx, cancel := context.WithTimeout(context.Background(), loadDuration(t))
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the revoker: one licence every half second, the last few left in force
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(l.ids)-4; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := l.store.ChangeLicenceState(certstore.LicenceAction{ID: l.ids[i], State: certstore.LicenceRevoked,
				Reason: "未履行告知承诺", Basis: "《行政许可法》第六十九条", By: "load test"}); err != nil {
				t.Errorf("revoking %s: %v", l.ids[i], err)
				return
			}
			revokedAt.Store(i, time.Now())
		}
	}()
	var requests, failures, notInForce atomic.Int64
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := c; ctx.Err() == nil; n += 8 {
				i := n % len(l.licences)
				began := time.Now()
				rep, err := l.post(client, i)
				ended := time.Now()
				requests.Add(1)
				if err != nil {
					failures.Add(1)
					t.Errorf("licence %d: %v", i, err)
					continue
				}
				at, revoked := revokedAt.Load(i)
				inForce := rep.Indication == verify.TotalPassed
				if !inForce {
					notInForce.Add(1)
				}
				switch {
				case inForce && revoked && at.(time.Time).Before(began):
					t.Errorf("licence %d revoked at %s reported in force by a request begun at %s", i, at.(time.Time).Format(time.StampMicro), began.Format(time.StampMicro))
				case !inForce && (!revoked || at.(time.Time).After(ended)) && rep.Signatures[0].Licence != nil && rep.Signatures[0].Licence.State == "revoked":
					// Revoked in the store while this request ran: the answer may say so
					// before the revoker recorded its time.
				case !inForce && rep.Signatures[0].Licence == nil:
					t.Errorf("licence %d: %s without a licence status", i, rep.Indication)
				case !inForce && rep.Signatures[0].Licence.State != "revoked":
					t.Errorf("licence %d: %s, licence %s", i, rep.Indication, rep.Signatures[0].Licence.State)
				}
			}
		}()
	}
	wg.Wait()
	heapAfter := heapInUse()
	t.Logf("%d requests, %d failures; heap in use %.1f MB after the warm-up, %.1f MB after the run", requests.Load(), failures.Load(), heapBefore/1e6, heapAfter/1e6)
	if requests.Load() < 100 || notInForce.Load() == 0 {
		t.Errorf("%d requests in the run, %d answered not in force: the run did not exercise revocations", requests.Load(), notInForce.Load())
	}
	if heapAfter > heapBefore*1.5+32e6 {
		t.Errorf("the heap grew from %.1f MB to %.1f MB", heapBefore/1e6, heapAfter/1e6)
	}
}

func heapInUse() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse)
}

// BenchmarkVerifyHTTP: verification requests per second over loopback HTTP (eight clients, as
// a service sees them) against the same verifications in process with eight goroutines, in the
// same run; reports both rates, their ratio (target ≥ 0.7) and the HTTP latency's p50 and p99.
func BenchmarkVerifyHTTP(b *testing.B) {
	l := newLoadSetup(b, 8)
	const clients = 8
	window := 5 * time.Second
	if v := os.Getenv("ESEAL_LOAD_DURATION"); v != "" {
		window, _ = time.ParseDuration(v)
	}
	opts := verify.Options{Anchors: l.store, Revocation: l.store, Cache: verify.NewCache()}
	inProcess := func() (float64, error) {
		return rate(clients, window, func(i int) error {
			doc := l.licences[i%len(l.licences)]
			rep, err := verify.VerifyPDF(context.Background(), bytes.NewReader(doc), int64(len(doc)), opts)
			if err == nil && rep.Indication != verify.TotalPassed {
				err = fmt.Errorf("%s", rep.Indication)
			}
			return err
		}, nil)
	}
	// The load generator shares the machine's cores with the server, so it is kept light, as
	// wrk is: each client holds one keep-alive connection and writes a request prepared in
	// advance, then reads the answer and checks its verdict without decoding the report.
	requests := make([][]byte, len(l.licences))
	for i, doc := range l.licences {
		requests[i] = append(fmt.Appendf(nil, "POST /v1/verify HTTP/1.1\r\nHost: bench\r\nContent-Type: application/pdf\r\nContent-Length: %d\r\n\r\n", len(doc)), doc...)
	}
	addr := strings.TrimPrefix(l.srv.URL, "http://")
	conns := make([]*loadConn, clients)
	var mu sync.Mutex
	var latencies []time.Duration
	overHTTP := func() (float64, error) {
		return rate(clients, window, func(i int) error {
			c := conns[i%clients]
			if c == nil {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					return err
				}
				c = &loadConn{Conn: nc, r: bufio.NewReaderSize(nc, 64<<10)}
				conns[i%clients] = c
			}
			if _, err := c.Write(requests[i%len(requests)]); err != nil {
				return err
			}
			resp, err := http.ReadResponse(c.r, nil)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && (resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"indication":"TOTAL_PASSED"`))) {
				err = fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
			}
			return err
		}, func(d time.Duration) {
			mu.Lock()
			latencies = append(latencies, d)
			mu.Unlock()
		})
	}
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for b.Loop() {
		_, err1 := inProcess() // warm both paths
		_, err2 := overHTTP()
		latencies = latencies[:0]
		local, err3 := inProcess()
		remote, err4 := overHTTP()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			b.Fatal(err)
		}
		slices.Sort(latencies)
		b.ReportMetric(local, "verify/s-in-process")
		b.ReportMetric(remote, "verify/s-http")
		b.ReportMetric(remote/local, "http/in-process")
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "ms-p99")
	}
}

// rate runs op from n goroutines for d and returns operations per second; each op's duration
// goes to observe when it is not nil. The first failure ends the run.
func rate(n int, d time.Duration, op func(i int) error, observe func(time.Duration)) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ctx.Err() == nil; i += n {
				t := time.Now()
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					cancel()
					return
				}
				if observe != nil {
					observe(time.Since(t))
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// loadConn is a load generator's keep-alive connection.
type loadConn struct {
	net.Conn
	r *bufio.Reader
}
