// Package web is the bench app's front end, embedded in the binary so that
// a warehouse LAN with no internet serves it whole. It holds no data: every
// record comes from the API after sign-in.
//
// dist/ is the app as `make web` builds it from npm packages; static/ holds
// the first-admin setup page and a plain fallback page that serves when the
// app has not been built (a bare `go build`).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

//go:embed static all:dist
var files embed.FS

// App is the file tree served at /: the built app, or the fallback page.
func App() fs.FS {
	if _, err := fs.Stat(files, "dist/index.html"); err == nil {
		return mustSub("dist")
	}
	return mustSub("static")
}

func mustSub(dir string) fs.FS {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // both folders are embedded
	}
	return sub
}

// appRoutes are the app's own paths (history routing): a reload or a
// scanned link on one of them gets the app, which then shows the page.
var appRoutes = []string{"/u/", "/01/", "/inspections/", "/returns/", "/scan", "/queue", "/login", "/settings", "/office"}

func isAppRoute(p string) bool {
	for _, r := range appRoutes {
		if p == strings.TrimSuffix(r, "/") || strings.HasPrefix(p, r) {
			return true
		}
	}
	return false
}

// Mount serves the setup page at /setup and the app everywhere else.
// Content-hashed assets are cached for good; the page and the service
// worker are always revalidated, so a new version reaches phones.
func Mount(app *fiber.App) {
	setup := http.FS(mustSub("static"))
	root := http.FS(App())
	app.Get("/setup", func(c *fiber.Ctx) error {
		return filesystem.SendFile(c, setup, "setup.html")
	})
	for _, name := range []string{"setup.js", "app.css"} {
		app.Get("/"+name, func(c *fiber.Ctx) error { return filesystem.SendFile(c, setup, name) })
	}
	app.Use("/", func(c *fiber.Ctx) error {
		p := c.Path()
		if (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && isAppRoute(p) {
			c.Set(fiber.HeaderCacheControl, "no-cache")
			return filesystem.SendFile(c, root, "index.html")
		}
		switch {
		case path.Ext(p) == ".webmanifest":
			c.Set(fiber.HeaderCacheControl, "no-cache")
			err := c.Next()
			c.Set(fiber.HeaderContentType, "application/manifest+json")
			return err
		case p == "/" || p == "/index.html" || p == "/sw.js":
			c.Set(fiber.HeaderCacheControl, "no-cache")
		case strings.HasPrefix(p, "/assets/"):
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		}
		return c.Next()
	}, filesystem.New(filesystem.Config{Root: root, Index: "index.html"}))
}
