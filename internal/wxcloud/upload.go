package wxcloud

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
)

// uploadBody is the JSON body of a batch upload, streamed: a 20 MiB zip is
// about 27 MiB of base64, and building that as a string (then a []byte for
// the request) would triple the peak memory of a deploy running several
// functions at once. The prefix and suffix are tiny; the zipfile value is
// encoded on the fly from the zip bytes.
type uploadBody struct {
	prefix []byte // {"functionname":…,"envs":[…],…,"zipfile":"
	zip    []byte
	suffix []byte // "}
}

func newUploadBody(req UploadRequest, withVPC bool) (*uploadBody, error) {
	envs := req.Envs
	if envs == nil {
		envs = []string{}
	}
	var pre bytes.Buffer
	pre.WriteString(`{"functionname":`)
	if err := writeJSON(&pre, req.FunctionName); err != nil {
		return nil, err
	}
	pre.WriteString(`,"envs":`)
	if err := writeJSON(&pre, envs); err != nil {
		return nil, err
	}
	if withVPC {
		for _, f := range []struct{ key, val string }{{"vpcid", req.VPCID}, {"subnetid", req.SubnetID}} {
			if f.val == "" {
				continue
			}
			pre.WriteString(`,"` + f.key + `":`)
			if err := writeJSON(&pre, f.val); err != nil {
				return nil, err
			}
		}
	}
	pre.WriteString(`,"zipfile":"`)
	return &uploadBody{prefix: pre.Bytes(), zip: req.Zip, suffix: []byte(`"}`)}, nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}

func (b *uploadBody) size() int64 {
	return int64(len(b.prefix)) + int64(base64.StdEncoding.EncodedLen(len(b.zip))) + int64(len(b.suffix))
}

func (b *uploadBody) open() io.Reader {
	return io.MultiReader(bytes.NewReader(b.prefix), &base64Reader{src: b.zip}, bytes.NewReader(b.suffix))
}

// base64Reader reads the standard base64 encoding of src. It encodes straight
// into the caller's buffer, so it allocates nothing per read.
type base64Reader struct {
	src  []byte
	buf  [4]byte
	pend []byte // encoded bytes not yet handed out (reads shorter than 4 bytes)
}

func (r *base64Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(r.pend) > 0 {
		n := copy(p, r.pend)
		r.pend = r.pend[n:]
		return n, nil
	}
	if len(r.src) == 0 {
		return 0, io.EOF
	}
	enc := base64.StdEncoding
	if len(p) >= 4 {
		// Whole 3-byte groups only, except for the final chunk, whose padded
		// encoding still fits: ceil(n/3)*4 <= len(p) when n <= len(p)/4*3.
		n := min(len(p)/4*3, len(r.src))
		enc.Encode(p, r.src[:n])
		r.src = r.src[n:]
		return enc.EncodedLen(n), nil
	}
	n := min(3, len(r.src))
	enc.Encode(r.buf[:], r.src[:n])
	r.src = r.src[n:]
	r.pend = r.buf[:enc.EncodedLen(n)]
	c := copy(p, r.pend)
	r.pend = r.pend[c:]
	return c, nil
}
