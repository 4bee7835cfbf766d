package todo

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPoolConfig(t *testing.T) {
	password := `ThisIsTest#123'"$HOME\@:/?`
	cfg, err := PoolConfig("jdbc:postgresql://10.99.0.1:5432/spring?sslmode=disable", "spring", password)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.ConnConfig
	if c.Host != "10.99.0.1" || c.Port != 5432 || c.Database != "spring" || c.User != "spring" || c.Password != password {
		t.Errorf("config host=%s port=%d db=%s user=%s, password intact %v", c.Host, c.Port, c.Database, c.User, c.Password == password)
	}
}

// TestPoolConfigErrorsWithheldValues: a bad setting is named, never repeated.
func TestPoolConfigErrorsWithheldValues(t *testing.T) {
	for _, url := range []string{"postgres://secret-host/db", "jdbc:postgresql://user:secret-pw@host/db"} {
		_, err := PoolConfig(url, "u", "p")
		if err == nil {
			t.Errorf("%s: accepted", url)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error repeats the URL: %v", err)
		}
	}
	if _, err := PoolConfig("jdbc:postgresql://host/db", "", ""); err == nil {
		t.Error("empty user and password accepted")
	}
}

func TestFlexBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `false`: false, `"true"`: true, `"false"`: false} {
		var b FlexBool
		if err := json.Unmarshal([]byte(in), &b); err != nil || bool(b) != want {
			t.Errorf("%s: %v, %v", in, b, err)
		}
	}
	var b FlexBool
	if err := json.Unmarshal([]byte(`"yes"`), &b); err == nil {
		t.Error(`"yes" accepted`)
	}
}
