package server

import (
	"context"
	"path/filepath"

	"flag"
	"fmt"
	"github.com/returnbench/returnbench/media"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything the server reads at start. Each field has an
// environment variable (RETURNBENCH_*) and a command-line flag; flags win.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	// DBMaxConns caps the database connections of this instance (0: the
	// default, max(4, 2 x CPUs)).
	DBMaxConns int
	PublicURL  string

	S3Endpoint  string
	S3AccessKey string
	S3SecretKey string
	S3Bucket    string
	S3Region    string
	S3UseTLS    bool
	// S3ObjectLock is "", "compliance" or "governance"; with RetentionDays
	// it makes verified evidence immutable (read-only files on local disk).
	S3ObjectLock  string
	RetentionDays int

	PartSize        int64
	MaxPhotoBytes   int64
	MaxVideoBytes   int64
	InspectionQuota int64

	TLSCert   string
	TLSKey    string
	TLSDomain string // a public host name: certificates come from an ACME CA automatically

	// TrustedProxies are the addresses (CIDRs) of reverse proxies whose
	// X-Forwarded-For we believe. Empty: the header is ignored entirely.
	TrustedProxies string
	CORSOrigins    string
	MetricsToken   string
	PolicyFile     string
	// PrinterAddr is a network label printer (host:9100) that takes ZPL.
	PrinterAddr string
	PrinterDPI  int
	SessionTTL  time.Duration
	LogLevel    string
	LogFormat   string

	// Now is the clock; tests set a fixed one.
	Now func() time.Time
}

// env reads RETURNBENCH_<name> with a default.
func env(name, def string) string {
	if v, ok := os.LookupEnv("RETURNBENCH_" + name); ok {
		return v
	}
	return def
}

// RegisterFlags binds every setting to a flag whose default comes from the
// environment, so `RETURNBENCH_ADDR=:9000` and `--addr :9000` do the same.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	str := func(p *string, flagName, envName, def, usage string) {
		fs.StringVar(p, flagName, env(envName, def), usage+" (RETURNBENCH_"+envName+")")
	}
	str(&c.Addr, "addr", "ADDR", ":8080", "listen address")
	str(&c.DataDir, "data-dir", "DATA_DIR", "./data", "SQLite file, local media and temp files")
	str(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "postgres://... selects PostgreSQL; empty means SQLite in the data dir")
	str(&c.PublicURL, "public-url", "PUBLIC_URL", "http://localhost:8080", "base of links printed in QR codes and evidence")
	str(&c.S3Endpoint, "s3-endpoint", "S3_ENDPOINT", "", "host:port of an S3-compatible server; empty means local disk")
	str(&c.S3AccessKey, "s3-access-key", "S3_ACCESS_KEY", "", "S3 access key")
	str(&c.S3SecretKey, "s3-secret-key", "S3_SECRET_KEY", "", "S3 secret key")
	str(&c.S3Bucket, "s3-bucket", "S3_BUCKET", "returnbench", "S3 bucket")
	str(&c.S3Region, "s3-region", "S3_REGION", "", "S3 region")
	useTLS, _ := strconv.ParseBool(env("S3_USE_TLS", "false"))
	fs.BoolVar(&c.S3UseTLS, "s3-use-tls", useTLS, "talk to S3 over HTTPS (RETURNBENCH_S3_USE_TLS)")
	str(&c.S3ObjectLock, "s3-object-lock", "S3_OBJECT_LOCK", "", "compliance or governance: S3 Object Lock on verified evidence")
	intVar := func(p *int, flagName, envName string, def int, usage string) {
		v, err := strconv.Atoi(env(envName, strconv.Itoa(def)))
		if err != nil {
			v = def
		}
		fs.IntVar(p, flagName, v, usage+" (RETURNBENCH_"+envName+")")
	}
	bytesVar := func(p *int64, flagName, envName string, def int64, usage string) {
		v, err := strconv.ParseInt(env(envName, strconv.FormatInt(def, 10)), 10, 64)
		if err != nil {
			v = def
		}
		fs.Int64Var(p, flagName, v, usage+" (RETURNBENCH_"+envName+")")
	}
	intVar(&c.DBMaxConns, "db-max-conns", "DB_MAX_CONNS", 0, "most database connections this instance opens (0: max(4, 2 x CPUs))")
	intVar(&c.RetentionDays, "retention-days", "RETENTION_DAYS", 0, "days verified evidence stays immutable (0: not locked)")
	bytesVar(&c.PartSize, "upload-part-size", "UPLOAD_PART_SIZE", 8<<20, "bytes per stored upload part (at least 5 MiB)")
	bytesVar(&c.MaxPhotoBytes, "max-photo-bytes", "MAX_PHOTO_BYTES", 25<<20, "largest photo accepted")
	bytesVar(&c.MaxVideoBytes, "max-video-bytes", "MAX_VIDEO_BYTES", 4<<30, "largest video accepted")
	bytesVar(&c.InspectionQuota, "inspection-quota-bytes", "INSPECTION_QUOTA_BYTES", 8<<30, "all files of one inspection")
	str(&c.TLSCert, "tls-cert", "TLS_CERT", "", "TLS certificate file (PEM)")
	str(&c.TLSKey, "tls-key", "TLS_KEY", "", "TLS private key file (PEM)")
	str(&c.TLSDomain, "tls-domain", "TLS_DOMAIN", "", "public host name to obtain certificates for automatically (serves HTTPS on the listen address)")
	str(&c.TrustedProxies, "trusted-proxies", "TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	str(&c.CORSOrigins, "cors-origins", "CORS_ORIGINS", "", "comma-separated origins allowed cross-origin (none by default)")
	str(&c.MetricsToken, "metrics-token", "METRICS_TOKEN", "", "bearer token for /metrics from other hosts (loopback needs none)")
	str(&c.PrinterAddr, "printer-addr", "PRINTER_ADDR", "", "network label printer (Zebra) as host:9100, sent ZPL over raw TCP")
	intVar(&c.PrinterDPI, "printer-dpi", "PRINTER_DPI", 203, "the label printer's resolution: 203 or 300")
	str(&c.PolicyFile, "policy-file", "POLICY_FILE", "", "JSON file overriding the default policies, per marketplace")
	ttl, err := time.ParseDuration(env("SESSION_TTL", "12h"))
	if err != nil {
		ttl = 12 * time.Hour
	}
	fs.DurationVar(&c.SessionTTL, "session-ttl", ttl, "how long a login lasts (RETURNBENCH_SESSION_TTL)")
	str(&c.LogLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "LOG_FORMAT", "text", "text or json")
}

// DefaultConfig is the configuration with no flags given: environment and defaults.
func DefaultConfig() Config {
	var c Config
	c.RegisterFlags(flag.NewFlagSet("defaults", flag.ContinueOnError))
	return c
}

// trustedPrefixes parses TrustedProxies.
func (c *Config) trustedPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// secureCookies tells whether clients reach us over HTTPS.
func (c *Config) secureCookies() bool {
	return c.TLSCert != "" || c.TLSDomain != "" || strings.HasPrefix(c.PublicURL, "https://")
}

// uploadLimits turns the settings into the upload engine's limits, with
// the defaults for anything left zero (as tests do).
func (c *Config) uploadLimits() media.Limits {
	l := media.DefaultLimits
	set := func(dst *int64, v int64) {
		if v > 0 {
			*dst = v
		}
	}
	set(&l.PartSize, c.PartSize)
	set(&l.MaxPhoto, c.MaxPhotoBytes)
	set(&l.MaxVideo, c.MaxVideoBytes)
	set(&l.InspectionQuota, c.InspectionQuota)
	l.RetainDays = c.RetentionDays
	return l
}

// openMediaBackend picks S3 when an endpoint is configured, else local disk
// under the data dir.
func (c *Config) openMediaBackend(ctx context.Context) (media.Backend, error) {
	if c.S3Endpoint == "" {
		if c.S3ObjectLock != "" {
			return nil, fmt.Errorf("object lock needs an S3 endpoint; on local disk set only the retention days")
		}
		return media.NewDisk(filepath.Join(c.DataDir, "media"))
	}
	if c.S3ObjectLock != "" && c.RetentionDays <= 0 {
		return nil, fmt.Errorf("S3 object lock %q needs RETURNBENCH_RETENTION_DAYS of 1 or more", c.S3ObjectLock)
	}
	return media.NewS3(ctx, media.S3Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		Bucket: c.S3Bucket, Region: c.S3Region, UseTLS: c.S3UseTLS, LockMode: c.S3ObjectLock})
}
