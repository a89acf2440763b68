// Package web is the bench app's front end, embedded in the binary so that
// a warehouse LAN with no internet serves it whole. It holds no data: every
// record comes from the API after sign-in.
package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

//go:embed static
var files embed.FS

// Files is the app's file tree, rooted at its index.
func Files() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return sub
}

// Mount serves the app's files: the setup page at /setup, everything else
// from the file tree with index.html at /.
func Mount(app *fiber.App) {
	root := http.FS(Files())
	app.Get("/setup", func(c *fiber.Ctx) error {
		return filesystem.SendFile(c, root, "setup.html")
	})
	app.Use("/", filesystem.New(filesystem.Config{Root: root, Index: "index.html", MaxAge: 300}))
}
