package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"slices"
	"strconv"
	"time"
)

// logSummary is what the server wrote to its log during a step: the time
// it says each request took (its own view, without the queue in front of
// it), its statuses, and its error lines grouped by message.
type logSummary struct {
	requests int
	serverMS []int // the log's ms= of every request line, sorted
	statuses map[string]int
	errors   map[string]int // "msg err" of level=ERROR lines
}

// readLog reads the server's log from offset to its current end. The log
// is slog's text format, one line per request: "... msg=request ...
// status=200 ms=3 ...".
func readLog(path string, offset int64) logSummary {
	out := logSummary{statuses: map[string]int{}, errors: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return out
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.Contains(line, []byte(" msg=request ")) {
			out.requests++
			if v := field(line, "ms"); v != "" {
				if n, err := strconv.Atoi(v); err == nil {
					out.serverMS = append(out.serverMS, n)
				}
			}
			out.statuses[field(line, "status")]++
		}
		if bytes.Contains(line, []byte("level=ERROR")) {
			key := field(line, "msg")
			if e := field(line, "err"); e != "" {
				key += ": " + e
			}
			if len(key) > 160 {
				key = key[:160]
			}
			out.errors[key]++
		}
	}
	slices.Sort(out.serverMS)
	return out
}

// field is the value of key= in a slog text line, unquoted if quoted.
func field(line []byte, key string) string {
	k := []byte(" " + key + "=")
	i := bytes.Index(line, k)
	if i < 0 {
		return ""
	}
	v := line[i+len(k):]
	if len(v) > 0 && v[0] == '"' {
		// A quoted value ends at the first quote not escaped.
		for j := 1; j < len(v); j++ {
			if v[j] == '\\' {
				j++
				continue
			}
			if v[j] == '"' {
				if s, err := strconv.Unquote(string(v[:j+1])); err == nil {
					return s
				}
				return string(v[1:j])
			}
		}
		return string(v[1:])
	}
	if j := bytes.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return string(v)
}

// serverP99 is the 99th percentile of the server's own request times.
func (l logSummary) serverP99() time.Duration {
	if len(l.serverMS) == 0 {
		return 0
	}
	i := min(len(l.serverMS)-1, max(0, (99*len(l.serverMS)+99)/100-1))
	return time.Duration(l.serverMS[i]) * time.Millisecond
}
