// Command labelpng draws a parcel's return label with a Code 128 barcode as
// a PNG: the picture the browser tests' fake camera shows.
//
//	go run ./web/e2e/tools/labelpng 1Z999AA10123456784 label.png
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

const (
	width   = 1000
	height  = 560
	margin  = 40
	module  = 4 // pixels per barcode module: crisp at 1280x720 camera frames
	barsTop = 170
	barsH   = 220
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: labelpng CODE OUT.png")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "labelpng:", err)
		os.Exit(1)
	}
}

func face(ttf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

func text(img draw.Image, f font.Face, x, y int, s string) {
	d := &font.Drawer{Dst: img, Src: image.Black, Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func centred(img draw.Image, f font.Face, y int, s string) {
	w := font.MeasureString(f, s).Round()
	text(img, f, (width-w)/2, y, s)
}

func run(code, out string) error {
	bc, err := code128.Encode(code)
	if err != nil {
		return err
	}
	modules := bc.Bounds().Dx()
	if modules*module > width-2*margin {
		return fmt.Errorf("%q is %d modules wide: too long for the label", code, modules)
	}
	bars, err := barcode.Scale(bc, modules*module, barsH)
	if err != nil {
		return err
	}
	big, err := face(gobold.TTF, 44)
	if err != nil {
		return err
	}
	small, err := face(goregular.TTF, 24)
	if err != nil {
		return err
	}
	human, err := face(gobold.TTF, 34)
	if err != nil {
		return err
	}

	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	// A thin frame, like the edge of a printed label.
	black := image.NewUniform(color.Black)
	for _, r := range []image.Rectangle{
		image.Rect(8, 8, width-8, 14), image.Rect(8, height-14, width-8, height-8),
		image.Rect(8, 8, 14, height-8), image.Rect(width-14, 8, width-8, height-8),
		image.Rect(14, 140, width-14, 144),
	} {
		draw.Draw(img, r, black, image.Point{}, draw.Src)
	}
	text(img, big, margin, 78, "RETURN")
	text(img, small, margin, 118, "SHIP TO: RETURNS BENCH · DOCK 4")
	text(img, small, width-margin-220, 78, "UPS GROUND")
	x := (width - bars.Bounds().Dx()) / 2
	draw.Draw(img, image.Rect(x, barsTop, x+bars.Bounds().Dx(), barsTop+barsH), bars, image.Point{}, draw.Src)
	centred(img, human, barsTop+barsH+60, code)
	centred(img, small, barsTop+barsH+110, "TRACKING #")

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
