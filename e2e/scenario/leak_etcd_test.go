package scenario

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// etcdGateway is the JSON gateway of the cluster's etcd (e2e/cluster runs
// it on loopback), which serves the v3 KV API without a gRPC client.
const etcdGateway = "http://127.0.0.1:2379/v3/kv/range"

const (
	etcdPageSize = 200
	etcdMaxPages = 1000 // 200k keys: far more than a test cluster holds
)

// etcdKV is one key and its value, raw bytes as stored (protobuf for most
// Kubernetes objects: strings inside appear as they are).
type etcdKV struct{ Key, Value []byte }

// readEtcd reads every key and value of the cluster's etcd, page by page.
func readEtcd() ([]etcdKV, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	var all []etcdKV
	key := []byte{0}
	for page := 0; page < etcdMaxPages; page++ {
		kvs, more, err := etcdRange(client, key)
		if err != nil {
			return nil, err
		}
		all = append(all, kvs...)
		if !more || len(kvs) == 0 {
			return all, nil
		}
		key = append(bytes.Clone(kvs[len(kvs)-1].Key), 0) // the next key after the last
	}
	return nil, fmt.Errorf("etcd holds more than %d pages of keys", etcdMaxPages)
}

// etcdRange reads up to etcdPageSize keys from key to the end of the keyspace.
func etcdRange(client *http.Client, key []byte) ([]etcdKV, bool, error) {
	b64 := base64.StdEncoding.EncodeToString
	body, _ := json.Marshal(map[string]any{"key": b64(key), "range_end": b64([]byte{0}), "limit": etcdPageSize})
	resp, err := client.Post(etcdGateway, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("etcd range: %s", resp.Status)
	}
	var out struct {
		KVs []struct {
			Key, Value []byte // base64 in JSON, decoded by encoding/json
		} `json:"kvs"`
		More bool `json:"more"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, false, fmt.Errorf("decoding etcd's answer: %w", err)
	}
	kvs := make([]etcdKV, len(out.KVs))
	for i, kv := range out.KVs {
		kvs[i] = etcdKV{kv.Key, kv.Value}
	}
	return kvs, out.More, nil
}
