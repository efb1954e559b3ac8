package message

import (
	"bytes"
	"io"
	"sync"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
)

// charset.Reader wraps every conversion in a transform.Reader, which
// allocates 8 KiB of buffers: for the few bytes of an encoded word in a
// name or a subject (ISO-8859-1, Windows-1252…), that allocation and its
// clearing were most of converting it, once per word of every header a
// sync stores. fastDecoder finds, once per charset name, the encoding
// charset.Reader would use, so that a conversion is one Decoder.Bytes.

// maxFastDecoders bounds the charset names fastDecoder remembers: the
// names come from mail, and a message may make up any number of them.
const maxFastDecoders = 64

var fastDecoders struct {
	sync.Mutex
	m map[string]encoding.Encoding // nil value: convert with charset.Reader
}

// fastDecoder returns the encoding named cs (lower case) when its decoder
// converts exactly as charset.Reader(cs) does, and nil otherwise.
func fastDecoder(cs string) encoding.Encoding {
	fastDecoders.Lock()
	enc, ok := fastDecoders.m[cs]
	fastDecoders.Unlock()
	if ok {
		return enc
	}
	enc = findFastDecoder(cs)
	fastDecoders.Lock()
	defer fastDecoders.Unlock()
	if fastDecoders.m == nil {
		fastDecoders.m = map[string]encoding.Encoding{}
	}
	if len(fastDecoders.m) < maxFastDecoders {
		fastDecoders.m[cs] = enc
	}
	return enc
}

// findFastDecoder looks cs up in the IANA names charset.Reader looks in
// (after its own table of quirks), and checks on every byte value that
// both convert alike: a name that charset.Reader maps elsewhere keeps
// charset.Reader.
func findFastDecoder(cs string) encoding.Encoding {
	enc, err := ianaindex.MIME.Encoding(cs)
	if err != nil || enc == nil {
		return nil
	}
	probe := make([]byte, 256)
	for i := range probe {
		probe[i] = byte(i)
	}
	fast, err := enc.NewDecoder().Bytes(probe)
	if err != nil {
		return nil
	}
	r, err := charset.Reader(cs, bytes.NewReader(probe))
	if err != nil {
		return nil
	}
	slow, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(fast, slow) {
		return nil
	}
	return enc
}
