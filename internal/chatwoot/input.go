package chatwoot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Chatwoot's clients send ids as numbers or as numeric strings, booleans as
// booleans or strings (forms), and content_attributes as an object or a JSON
// string. These types take each form and refuse anything else.

// typeError reports a value of the wrong type the way encoding/json does,
// so that the decoder adds the field's name and jsonError can say which.
func typeError(b []byte, want any) error {
	b = bytes.TrimSpace(b)
	kind := "number " + string(b[:min(len(b), 40)])
	switch {
	case len(b) == 0:
		kind = "nothing"
	case b[0] == '{':
		kind = "object"
	case b[0] == '[':
		kind = "array"
	case b[0] == '"':
		kind = "string " + string(b)
	case b[0] == 't' || b[0] == 'f':
		kind = "bool"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeOf(want)}
}

// flexInt is an integer sent as a number or a numeric string; null or ""
// is zero.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return typeError(b, int64(0))
	}
	*f = flexInt(n)
	return nil
}

// flexBool is a boolean sent as true/false or as a string of it.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	// Rails' spellings, which form-encoding clients send (Python sends True).
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true", "1", "t", "on", "yes":
		*f = true
	case "false", "0", "f", "off", "no", "null", "":
		*f = false
	default:
		return typeError(b, true)
	}
	return nil
}

// clearableString is a text that JSON null clears, as Rails writes nil
// (blank) for it; a pointer could not tell null from absent.
type clearableString struct {
	set bool // the field was sent
	v   string
}

func (c *clearableString) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return typeError(b, "")
	}
	c.set, c.v = true, ""
	if s != nil {
		c.v = *s
	}
	return nil
}

// ptr is the text sent, "" for null, or nil when the field was not sent.
func (c clearableString) ptr() *string {
	if !c.set {
		return nil
	}
	v := c.v
	return &v
}

// flexObject is a JSON object, or a string holding one.
type flexObject map[string]any

func (f *flexObject) UnmarshalJSON(b []byte) error {
	orig := b
	if bytes.HasPrefix(b, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			*f = nil
			return nil
		}
		b = []byte(s)
	}
	if string(b) == "null" {
		*f = nil
		return nil
	}
	if err := checkJSON(b); err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return typeError(orig, map[string]any{})
	}
	*f = m
	return nil
}

// maxDepth is how deeply JSON may nest in a request, as Rack's
// param_depth_limit bounds form keys: documents that are stored (custom and
// additional attributes, content attributes) are rendered again in every
// list and webhook, and a deep one costs the server memory and time each
// time.
const maxDepth = 32

// maxFormKeys is how many fields a form may hold.
const maxFormKeys = 1000

var (
	errNUL      = baton.Invalid("Text must not contain NUL characters")
	errNotUTF8  = baton.Invalid("Text must be UTF-8")
	errTooDeep  = baton.Invalid(fmt.Sprintf("JSON is nested too deeply (maximum is %d levels)", maxDepth))
	errFormDeep = baton.Invalid(fmt.Sprintf("Form field names are nested too deeply (maximum is %d levels)", maxDepth))
	errFormKeys = baton.Invalid(fmt.Sprintf("Form has too many fields (maximum is %d)", maxFormKeys))
)

// checkJSON refuses a JSON text that is not UTF-8, holds a NUL character
// (raw or escaped as \u0000) or nests deeper than maxDepth. It looks at
// the bytes only; the decoder judges the rest.
func checkJSON(b []byte) error {
	if !utf8.Valid(b) {
		return errNotUTF8
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == 0:
			return errNUL
		case inString && c == '\\':
			if i+5 < len(b) && b[i+1] == 'u' && string(b[i+2:i+6]) == "0000" {
				return errNUL
			}
			i++ // the escaped character
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth > maxDepth {
				return errTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// checkText refuses form text that is not UTF-8 or holds a NUL character.
func checkText(s string) error {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return errNUL
	case !utf8.ValidString(s):
		return errNotUTF8
	}
	return nil
}

// enumName is a message type by its name or by its number, as Rails enums
// take it (Chatwoot's own JSON carries message_type as a number).
type enumName string

func (e *enumName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = enumName(s)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil || n < int(baton.MessageIncoming) || n > int(baton.MessageTemplate) {
		return typeError(b, "")
	}
	*e = enumName(baton.MessageType(n).String())
	return nil
}

// flexTime is a unix time in seconds sent as a number or a string.
type flexTime struct{ t *time.Time }

func (f *flexTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		f.t = nil
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) || math.IsNaN(n) {
		// A number, but past a float's range, or "NaN": no time.
		return &json.UnmarshalTypeError{Value: outOfRange + s, Type: reflect.TypeOf(int64(0))}
	}
	if err != nil {
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			return typeError(b, int64(0))
		}
		// Written out with an offset, a time of the year 9999 may be
		// of 10000 in UTC, which the answers would show as five digits.
		if t.Unix() < 0 || t.Unix() > maxUnixSeconds {
			return &json.UnmarshalTypeError{Value: outOfRange + s, Type: reflect.TypeOf(int64(0))}
		}
		f.t = &t
		return nil
	}
	if n < 0 || n > maxUnixSeconds {
		return &json.UnmarshalTypeError{Value: outOfRange + s, Type: reflect.TypeOf(int64(0))}
	}
	t := time.Unix(int64(n), 0).UTC()
	f.t = &t
	return nil
}

// outOfRange starts the Value of a type error for a time that is a
// number but not a time: jsonError answers it as such.
const outOfRange = "out of range: "

// maxUnixSeconds is the last second of year 9999: times past it are
// mistakes, and would overflow on the way to microseconds.
const maxUnixSeconds = 253402300799

// decodeForm reads a multipart or URL-encoded form into v by way of JSON,
// so that one input type serves both. Fields whose value looks like a JSON
// object or array are taken as such (content_attributes, submitted_values).
func (h *Handler) decodeForm(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch {
	case mt == "multipart/form-data":
		err = r.ParseMultipartForm(8 << 20)
		if forms, ok := r.Context().Value(formsKey{}).(*[]*multipart.Form); ok && r.MultipartForm != nil {
			*forms = append(*forms, r.MultipartForm)
		}
	case r.Method == http.MethodDelete:
		// ParseForm reads the body of POST, PUT and PATCH only; Chatwoot's
		// clients send DELETE inbox_members and account_users with one.
		var raw []byte
		if raw, err = io.ReadAll(r.Body); err == nil {
			r.PostForm, err = url.ParseQuery(string(raw))
		}
	default:
		err = r.ParseForm()
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return baton.Errorf(baton.ETOOLARGE, "Body is too large (maximum is %d bytes)", maxErr.Limit)
	} else if err != nil {
		return baton.Errorf(baton.EBADREQUEST, "Malformed form: %s", err.Error())
	}
	if len(r.PostForm) > maxFormKeys {
		return errFormKeys
	}
	if r.MultipartForm != nil {
		for _, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				if err := checkText(fh.Filename); err != nil {
					return err
				}
			}
		}
	}
	fields := map[string]any{}
	var size int64
	for k, vs := range r.PostForm {
		if strings.Count(k, "[") > maxDepth {
			return errFormDeep
		}
		if err := checkText(k); err != nil {
			return err
		}
		for _, v := range vs {
			if err := checkText(v); err != nil {
				return err
			}
		}
		for _, v := range vs {
			size += int64(len(k) + len(v))
		}
		if size > h.maxBodyBytes {
			return baton.Errorf(baton.ETOOLARGE, "Form fields are too large (maximum is %d bytes beside the files)", h.maxBodyBytes)
		}
		if len(vs) == 0 {
			continue
		}
		// Rails' nested keys: message[content] is content inside message.
		path := strings.Split(strings.ReplaceAll(strings.TrimSuffix(k, "[]"), "]", ""), "[")
		key := path[len(path)-1]
		parent := fields
		for _, p := range path[:len(path)-1] {
			child, ok := parent[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				parent[p] = child
			}
			parent = child
		}
		val := vs[len(vs)-1]
		trimmed := strings.TrimSpace(val)
		if documentFields[key] && (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) && json.Valid([]byte(trimmed)) {
			if err := checkJSON([]byte(trimmed)); err != nil {
				return err
			}
			parent[key] = json.RawMessage(trimmed)
		} else if strings.HasSuffix(k, "[]") {
			parent[key] = vs
		} else {
			parent[key] = val
		}
	}
	b, _ := json.Marshal(fields)
	return jsonError(json.Unmarshal(b, v), h.maxBodyBytes)
}

// documentFields are the fields whose form value is a JSON document (an
// object or an array) rather than text: a message's content that happens to
// look like JSON stays text.
var documentFields = map[string]bool{"content_attributes": true, "custom_attributes": true,
	"additional_attributes": true, "submitted_values": true, "bot_config": true, "settings": true,
	"labels": true, "user_ids": true}

// decodeWithFiles is decodeUpload for a body that may carry attachments: it
// reads the body into v and opens its files, which the caller closes with
// the func returned.
func (h *Handler) decodeWithFiles(w http.ResponseWriter, r *http.Request, v any) ([]app.FileInput, func(), error) {
	if err := h.decodeUpload(w, r, v); err != nil {
		return nil, func() {}, err
	}
	return uploadedFiles(r)
}

// uploadedFiles returns the files of a multipart request under
// attachments[] (or attachments, or the widget's message[attachments][]),
// ready for the app.
func uploadedFiles(r *http.Request) ([]app.FileInput, func(), error) {
	if r.MultipartForm == nil {
		return nil, func() {}, nil
	}
	var headers []*multipart.FileHeader
	for _, name := range []string{"attachments[]", "attachments", "message[attachments][]", "message[attachments]"} {
		headers = append(headers, r.MultipartForm.File[name]...)
	}
	var files []app.FileInput
	var opened []multipart.File
	closeAll := func() {
		for _, f := range opened {
			f.Close()
		}
	}
	for _, fh := range headers {
		f, err := fh.Open()
		if err != nil {
			closeAll()
			return nil, func() {}, baton.Errorf(baton.EBADREQUEST, "Attachment %s could not be read", fh.Filename)
		}
		opened = append(opened, f)
		files = append(files, app.FileInput{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Body: f})
	}
	return files, closeAll, nil
}
