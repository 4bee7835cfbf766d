package imageconfig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// padding is far beyond any real manifest or config, and far below what
// go-containerregistry itself would refuse (100 MiB for a manifest, nothing
// for a config): only kvenv's own limit stops it.
const padding = 60 << 20

var spaces = bytes.Repeat([]byte(" "), 32<<10)

// padded is a JSON document followed by pad spaces, still valid JSON, that
// is hashed and served without ever being held in memory.
type padded struct {
	doc    []byte
	pad    int64
	digest v1.Hash
}

func newPadded(doc []byte, pad int64) padded {
	p := padded{doc: doc, pad: pad}
	h := sha256.New()
	p.writeTo(h)
	p.digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	return p
}

func (p padded) size() int64 { return int64(len(p.doc)) + p.pad }

// descriptor names p, as a manifest names its config or an index its
// manifests.
func (p padded) descriptor(mediaType types.MediaType) v1.Descriptor {
	return v1.Descriptor{MediaType: mediaType, Size: p.size(), Digest: p.digest,
		Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}
}

// writeTo stops at the first failed write: the client hung up.
func (p padded) writeTo(w io.Writer) {
	if _, err := w.Write(p.doc); err != nil {
		return
	}
	for left := p.pad; left > 0; left -= int64(len(spaces)) {
		if _, err := w.Write(spaces[:min(left, int64(len(spaces)))]); err != nil {
			return
		}
	}
}

// serve answers a HEAD or GET for p; without a declared size the body is
// sent chunked, and only reading it shows how large it is.
func (p padded) serve(w http.ResponseWriter, req *http.Request, mediaType types.MediaType, declareSize bool) {
	w.Header().Set("Content-Type", string(mediaType))
	w.Header().Set("Docker-Content-Digest", p.digest.String())
	if declareSize || req.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.FormatInt(p.size(), 10))
	}
	if req.Method == http.MethodGet {
		p.writeTo(w)
	}
}

// resolveMeasured returns Resolve's error and the bytes the whole process
// allocated meanwhile (the registry's side included, which only streams).
func resolveMeasured(r *Resolver, image string) (error, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := r.Resolve(context.Background(), imageRequest(image))
	runtime.ReadMemStats(&after)
	return err, after.TotalAlloc - before.TotalAlloc
}

func TestOversizedAnswersAreRefusedWithoutReadingThem(t *testing.T) {
	reg := startRegistry(t, authNone)
	img := testImage(t, "linux", "amd64", []string{"/app"}, nil)
	reg.push(t, "huge/app:small", img) // the small config the padded manifests name
	rawManifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	rawConfig, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	bigManifest := newPadded(rawManifest, padding)
	bigConfig := newPadded(rawConfig, padding)
	namesBigConfig := newPadded(mustJSON(t, v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2,
		Config: bigConfig.descriptor(types.DockerConfigJSON), Layers: []v1.Descriptor{}}), 0)
	namesBigManifest := newPadded(mustJSON(t, v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex,
		Manifests: []v1.Descriptor{bigManifest.descriptor(types.DockerManifestSchema2)}}), 0)

	reg.front = func(w http.ResponseWriter, req *http.Request) bool {
		switch strings.TrimPrefix(req.URL.Path, "/v2/huge/app/") {
		case "manifests/" + bigManifest.digest.String(): // by digest: no HEAD first
			bigManifest.serve(w, req, types.DockerManifestSchema2, false)
		case "manifests/declared":
			bigManifest.serve(w, req, types.DockerManifestSchema2, true)
		case "manifests/bigconfig", "manifests/" + namesBigConfig.digest.String():
			namesBigConfig.serve(w, req, types.DockerManifestSchema2, true)
		case "blobs/" + bigConfig.digest.String():
			bigConfig.serve(w, req, types.DockerConfigJSON, true)
		case "manifests/bigchild", "manifests/" + namesBigManifest.digest.String():
			namesBigManifest.serve(w, req, types.OCIImageIndex, true)
		default:
			return false
		}
		return true
	}
	for _, c := range []struct {
		name, image, what string
		mostFetched       map[string]int // requests a declared size made needless
	}{
		{"a manifest streamed without a declared size", reg.host + "/huge/app@" + bigManifest.digest.String(), "manifest", nil},
		{"a manifest whose HEAD declares its size", reg.host + "/huge/app:declared", "manifest", map[string]int{reqGetManifest: 0}},
		{"a config the manifest declares too large", reg.host + "/huge/app:bigconfig", "image config", map[string]int{reqGetBlob: 0}},
		{"a manifest the index declares too large", reg.host + "/huge/app:bigchild", "linux/amd64 manifest", map[string]int{reqGetManifest: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := newResolver(t, Options{}, reg) // nothing cached from the other cases
			reg.snapshot()
			err, allocated := resolveMeasured(r, c.image)
			t.Logf("allocated %d KiB: %v", allocated>>10, err)
			if err == nil {
				t.Fatalf("resolved an image whose %s is %d MiB", c.what, padding>>20)
			}
			for _, want := range []string{`container "app"`, c.image, c.what, "larger than 4 MiB", "set `command`",
				"use an image whose manifests and config are each under 4 MiB"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q", want)
				}
			}
			// Reading up to kvenv's limit costs about twice the limit (more
			// under the race detector, which defeats sync.Pool); reading the
			// whole answer, over twice the padding.
			if allocated > padding/2 {
				t.Errorf("allocated %d MiB for a %d MiB answer that is refused", allocated>>20, padding>>20)
			}
			counts := reg.snapshot()
			for kind, most := range c.mostFetched {
				if counts[kind] > most {
					t.Errorf("%d requests %s, want at most %d: the declared size was already too large", counts[kind], kind, most)
				}
			}
		})
	}
}

func TestLargeAnswersForManyContainersShareOneBound(t *testing.T) {
	// One pod may name hundreds of images, all looked up at once; every
	// answer's first unheldAnswerBytes are outside the shared bound, so only
	// maxLookUpsAtOnce keeps 400 of them from holding 400 × 256 KiB.
	const containers = 400
	reg := startRegistry(t, authNone)
	img := testImage(t, "linux", "amd64", []string{"/app"}, nil)
	reg.push(t, "many/app:small", img)
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	big := newPadded(raw, padding)
	arrived, allArrived := make(chan struct{}, containers), make(chan struct{})
	go func() {
		for range min(containers, maxLookUpsAtOnce) {
			<-arrived
		}
		close(allArrived)
	}()
	reg.front = func(w http.ResponseWriter, req *http.Request) bool {
		if !strings.HasPrefix(req.URL.Path, "/v2/many/image-") {
			return false
		}
		// Every look-up let through reads at the same time, as a pod's
		// containers' do.
		select {
		case arrived <- struct{}{}:
		default: // all have arrived; later ones read at once
		}
		select {
		case <-allArrived:
		case <-time.After(3 * time.Second):
		}
		big.serve(w, req, types.DockerManifestSchema2, false)
		return true
	}
	// The longest look-up timeout: on a loaded machine 400 look-ups through
	// 32 slots must not time out before the bound is what refuses them.
	r, _ := newResolver(t, Options{LookupTimeout: MaxLookupTimeout}, reg)

	peak := watchHeap(t)
	errs := make([]error, containers)
	var wg sync.WaitGroup
	for i := range containers {
		wg.Go(func() {
			_, errs[i] = r.Resolve(context.Background(), imageRequest(fmt.Sprintf("%s/many/image-%d@%s", reg.host, i, big.digest)))
		})
	}
	wg.Wait()
	heap := peak()

	busy := 0
	for _, err := range errs {
		switch {
		case err == nil:
			t.Fatalf("resolved an image whose manifest is %d MiB", padding>>20)
		case strings.Contains(err.Error(), "kvenv is already reading 16 MiB of registry answers"):
			busy++
			if !strings.Contains(err.Error(), "create the pod again in a moment") {
				t.Errorf("a look-up refused for want of memory gives no advice: %v", err)
			}
		}
	}
	t.Logf("heap peaked at %d MiB; %d of %d look-ups were refused for want of memory", heap>>20, busy, containers)
	// Each answer alone is cut at 4 MiB; 40 of them at once held over 200 MiB
	// before they shared a bound, and 400 over 300 MiB with only the shared
	// bound, against the chart's 256Mi memory limit.
	if heap > 128<<20 {
		t.Errorf("%d look-ups at once took the heap to %d MiB", containers, heap>>20)
	}
	if busy == 0 {
		t.Errorf("no look-up was refused for want of memory")
	}
}

// watchHeap samples the heap (live and not yet collected) every
// millisecond until the returned function is called, which returns the
// largest sample.
func watchHeap(t *testing.T) (peak func() uint64) {
	runtime.GC()
	var most uint64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			most = max(most, m.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-stopped
		return most
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// internalPage stands for what an internal HTTPS service, named by a pod as
// its image's registry, might say in an error page.
const internalPage = "INTERNAL-PAGE-7c2e"

func TestRegistryErrorBodiesStayOutOfDenials(t *testing.T) {
	page := strings.Repeat(internalPage+" ", (60<<10)/len(internalPage))
	short := strings.Repeat("-", 300) + strings.Repeat(internalPage+" ", 200) // kvenv parses its codes
	for _, c := range []struct {
		name   string
		path   string // the request answered with status and body
		status int
		body   func(token string) string // token: the bearer token the request carried
		want   []string
	}{
		{"403 with registry errors and a detail", "/v2/leaky/app/manifests/", http.StatusForbidden,
			func(token string) string {
				return registryErrors("DENIED", "token "+token+" may not read leaky/app; "+short, short)
			}, []string{"403 Forbidden", "DENIED: token [redacted] may not read leaky/app"}},
		{"403 with registry errors too long to parse", "/v2/leaky/app/manifests/", http.StatusForbidden,
			func(token string) string { return registryErrors("DENIED", token+" "+page, page) },
			[]string{"GET https://", "/v2/leaky/app/manifests/sha256:", "403 Forbidden"}},
		{"401 with an HTML page", "/v2/leaky/app/manifests/", http.StatusUnauthorized,
			func(token string) string { return "<html><body>" + token + " " + page + "</body></html>" },
			[]string{"401 Unauthorized"}},
		{"500 with a long message", "/v2/leaky/app/manifests/", http.StatusInternalServerError,
			func(token string) string { return registryErrors("UNKNOWN", token+"\n"+short, nil) },
			[]string{"500 Internal Server Error", "UNKNOWN: [redacted]"}},
		{"a token answer without a token", "/oauth2/token", http.StatusOK,
			func(string) string { return `{"note":"` + page + `"}` }, []string{"no token in bearer response"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := startRegistry(t, authBearer)
			var mu sync.Mutex
			var sent []string
			reg.front = func(w http.ResponseWriter, req *http.Request) bool {
				if !strings.HasPrefix(req.URL.Path, c.path) {
					return false
				}
				token := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
				mu.Lock()
				sent = append(sent, token)
				mu.Unlock()
				w.WriteHeader(c.status)
				io.WriteString(w, c.body(token))
				return true
			}
			r, _ := newResolver(t, Options{}, reg)
			image := reg.host + "/leaky/app@sha256:" + strings.Repeat("ab", 32) // by digest: a GET, which has a body

			_, err := r.Resolve(context.Background(), imageRequest(image))
			if err == nil {
				t.Fatal("resolved")
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range append([]string{`container "app"`, image, reg.host + " with no credentials", "set `command`"}, c.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("denial lacks %q", want)
				}
			}
			if strings.Contains(msg, internalPage) {
				t.Errorf("denial repeats the answer's body")
			}
			mu.Lock()
			defer mu.Unlock()
			for _, token := range sent {
				if token != "" && strings.Contains(msg, token) {
					t.Errorf("denial repeats the bearer token %q the registry issued", token)
				}
			}
			if len(msg) > 2<<10 {
				t.Errorf("denial is %d bytes for one attempt", len(msg))
			}
		})
	}
}

// registryErrors is a registry's error answer with one error.
func registryErrors(code, message string, detail any) string {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "message": message, "detail": detail}}})
	return string(b)
}

func TestLongRegistryErrorsAreCut(t *testing.T) {
	var many []string // short enough to be parsed: kvenv reads 16 KiB of an error
	for i := range 10 {
		many = append(many, fmt.Sprintf(`{"code":"CODE_%d_%s","message":"%s"}`, i, strings.Repeat("C", 200), strings.Repeat("m", 1000)))
	}
	reg := startRegistry(t, authNone)
	reg.front = func(w http.ResponseWriter, req *http.Request) bool {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"errors":[`+strings.Join(many, ",")+`]}`)
		return true
	}
	r, _ := newResolver(t, Options{}, reg)

	_, err := r.Resolve(context.Background(), imageRequest(reg.host+"/app@sha256:"+strings.Repeat("cd", 32)))
	if err == nil {
		t.Fatal("resolved")
	}
	t.Log(err)
	msg := err.Error()
	for _, want := range []string{"403 Forbidden (CODE_0_CCC", "mmm…", "and 7 more errors"} {
		if !strings.Contains(msg, want) {
			t.Errorf("denial lacks %q", want)
		}
	}
	if len(msg) > 2<<10 {
		t.Errorf("denial is %d bytes for one attempt", len(msg))
	}
}

// TestOrdinaryLookUpsReadWhileLargeAnswersHoldTheBound: the answers of a
// pod whose registries trickle large manifests may hold the whole shared
// bound; an ordinary image's few KiB are read all the same, so such a pod
// cannot make unrelated pods' look-ups fail.
func TestOrdinaryLookUpsReadWhileLargeAnswersHoldTheBound(t *testing.T) {
	reg := startRegistry(t, authNone)
	reg.push(t, "team/app:1", testImage(t, "linux", "amd64", []string{"/app"}, []string{"--serve"}))
	r, _ := newResolver(t, Options{}, reg)
	held := &r.transport.(*httpsOnly).held
	if !held.take(maxAnswerBytesHeld) {
		t.Fatal("the shared bound was not free at the start")
	}
	defer held.give(maxAnswerBytesHeld)
	got, err := r.Resolve(context.Background(), imageRequest(reg.host+"/team/app:1"))
	if err != nil {
		t.Fatalf("an ordinary look-up failed while the bound was held: %v", err)
	}
	if !slices.Equal(got.Entrypoint, []string{"/app"}) {
		t.Fatalf("entrypoint %q; want [/app]", got.Entrypoint)
	}
}

// TestLookUpsWaitForARegistrySlot: with maxLookUpsAtOnce look-ups talking to
// registries, another waits for a slot within its own timeout, then fails
// saying why, instead of adding its reads to theirs.
func TestLookUpsWaitForARegistrySlot(t *testing.T) {
	reg := startRegistry(t, authNone)
	reg.push(t, "team/app:1", testImage(t, "linux", "amd64", []string{"/app"}, nil))
	r, _ := newResolver(t, Options{LookupTimeout: 300 * time.Millisecond}, reg)
	for range maxLookUpsAtOnce {
		r.slots <- struct{}{}
	}
	_, err := r.Resolve(context.Background(), imageRequest(reg.host+"/team/app:1"))
	if err == nil || !strings.Contains(err.Error(), "the most it reads at once") {
		t.Fatalf("want a look-up that found no slot to fail saying so, got %v", err)
	}
	<-r.slots
	if _, err := r.Resolve(context.Background(), imageRequest(reg.host+"/team/app:1")); err != nil {
		t.Fatalf("with a slot free the look-up failed: %v", err)
	}
}
