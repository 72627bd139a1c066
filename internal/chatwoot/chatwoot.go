// Package chatwoot is Baton's Chatwoot-compatible HTTP surface: the
// Platform, Application and Public client APIs, with Chatwoot's paths, JSON
// shapes and error bodies, so that clients, SDKs and bots written for
// Chatwoot work unchanged. Wire types live here and nowhere else; routes.go
// lists the whole surface.
//
// A wire type's name ends in its role: …Request for a body Baton reads,
// …JSON for a body or part of one the API answers with, …Webhook for a
// webhook payload or part of one, …Push for Chatwoot's push_event_data
// shapes. Decoding helpers (flexInt, flexBool, flexTime, …) are named for
// what they accept.
package chatwoot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// The largest bodies the surface reads by default: a JSON body, and a
// multipart body with its files.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxUploadBytes = 100 << 20
)

// Config is what the surface needs beside the app.
type Config struct {
	App            *app.App
	Logger         *slog.Logger
	PublicURL      func() string // how clients reach this server, for attachment links
	MaxBodyBytes   int64         // largest JSON body
	MaxUploadBytes int64         // largest multipart body
}

// Handler serves the Chatwoot-compatible API.
type Handler struct {
	app            *app.App
	log            *slog.Logger
	publicURL      func() string
	maxBodyBytes   int64
	maxUploadBytes int64
	mux            *http.ServeMux
}

// New returns the handler with every route of routes.go registered.
func New(c Config) *Handler {
	h := &Handler{app: c.App, log: c.Logger, publicURL: c.PublicURL, maxBodyBytes: c.MaxBodyBytes,
		maxUploadBytes: c.MaxUploadBytes, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBodyBytes == 0 {
		h.maxBodyBytes = DefaultMaxBodyBytes
	}
	if h.maxUploadBytes == 0 {
		h.maxUploadBytes = DefaultMaxUploadBytes
	}
	h.routes()
	return h
}

// ServeHTTP routes a request. The files of a multipart form are removed
// when the request ends, whatever the handler did: handlers parse the form
// on a copy of the request (one that carries the caller in its context),
// and the server removes only the files of the request it made.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		h.mux.ServeHTTP(w, r)
		return
	}
	var forms []*multipart.Form
	defer func() {
		for _, f := range forms {
			_ = f.RemoveAll()
		}
	}()
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), formsKey{}, &forms)))
}

// formsKey holds, in a request's context, the multipart forms parsed for
// it, for ServeHTTP to remove.
type formsKey struct{}

// handlerFunc is a handler that returns its error for serve to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// codes maps domain error codes to HTTP statuses: the one table.
var codes = map[string]int{
	baton.EBADREQUEST:   http.StatusBadRequest,
	baton.ECONFLICT:     http.StatusUnprocessableEntity,
	baton.EINVALID:      http.StatusUnprocessableEntity,
	baton.ENOTFOUND:     http.StatusNotFound,
	baton.EUNAUTHORIZED: http.StatusUnauthorized,
	baton.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	baton.ERATELIMIT:    http.StatusTooManyRequests,
	baton.ESUSPENDED:    http.StatusUnauthorized,
	baton.ENOTOWNER:     http.StatusConflict,
	baton.EINTERNAL:     http.StatusInternalServerError,
}

// writeError writes err with Chatwoot's body: {"error": …} everywhere, and
// for validation errors also Chatwoot's model form {"message", "attributes"}
// so clients reading either find it. Internal errors are logged, never shown.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := baton.ErrorCode(err)
	status, ok := codes[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := baton.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		// The route, not the path: a public client's path holds its
		// contact identifier, which works as a password.
		h.log.Error("internal error", "method", r.Method, "route", r.Pattern, "request_id", w.Header().Get("X-Request-Id"), "err", err)
	}
	body := map[string]any{"error": msg}
	var be *baton.Error
	if status == http.StatusUnprocessableEntity && errors.As(err, &be) {
		body["message"] = msg
		attrs := be.Attributes
		if attrs == nil {
			attrs = []string{}
		}
		body["attributes"] = attrs
	}
	writeJSON(w, status, body)
}

func (f handlerFunc) serve(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			h.writeError(w, r, err)
		}
	}
}

// writeJSON writes v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// ok writes v with 200, as Chatwoot answers creates too.
func ok(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusOK, v) }

// empty writes 200 with an empty body.
func empty(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusOK)
	return nil
}

// decode reads a JSON body into v. An empty body is an empty object. Bodies
// over the limit, malformed JSON and wrong types are bad requests that say
// where the problem is.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return h.decodeBody(w, r, v, h.maxBodyBytes)
}

// decodeUpload is decode for the routes that take files: a multipart body
// may be as large as an upload; its other fields stay within the JSON limit.
func (h *Handler) decodeUpload(w http.ResponseWriter, r *http.Request, v any) error {
	return h.decodeBody(w, r, v, h.maxUploadBytes)
}

func (h *Handler) decodeBody(w http.ResponseWriter, r *http.Request, v any, multipartLimit int64) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, multipartLimit)
		return h.decodeForm(w, r, v)
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBodyBytes)
	body := bufio.NewReader(r.Body)
	// curl -d sends JSON as a form unless told otherwise: a form body that
	// opens with { is taken for the JSON it is.
	if mt == "application/x-www-form-urlencoded" && !opensWithBrace(body) {
		r.Body = io.NopCloser(body)
		return h.decodeForm(w, r, v)
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return jsonError(err, h.maxBodyBytes)
	}
	if err := checkJSON(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	err = dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil && dec.More() {
		return baton.Errorf(baton.EBADREQUEST, "Body must hold one JSON object")
	}
	return jsonError(err, h.maxBodyBytes)
}

func opensWithBrace(r *bufio.Reader) bool {
	for i := 1; i <= 64; i++ {
		b, err := r.Peek(i)
		if err != nil || len(b) < i {
			return false
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// jsonError explains a decoding error to the caller.
func jsonError(err error, limit int64) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &maxErr):
		return baton.Errorf(baton.ETOOLARGE, "Body is too large (maximum is %d bytes)", limit)
	case errors.As(err, &syntaxErr):
		return baton.Errorf(baton.EBADREQUEST, "Malformed JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.As(err, &typeErr):
		// Fields of embedded request structs come prefixed with the
		// struct's name, which means nothing to the caller.
		field := typeErr.Field
		if i := strings.Index(field, "Request."); i >= 0 {
			field = field[i+len("Request."):]
		}
		if field == "" {
			return baton.Errorf(baton.EBADREQUEST, "Body must be a JSON object")
		}
		if v, ok := strings.CutPrefix(typeErr.Value, outOfRange); ok {
			return baton.Invalid(fmt.Sprintf("Field %s is out of range: %s is not a unix time from 1970 to the year 9999", field, v), field)
		}
		return baton.Errorf(baton.EBADREQUEST, "Field %s must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "unexpected EOF"):
		return baton.Errorf(baton.EBADREQUEST, "Malformed JSON: unexpected end of body")
	}
	var be *baton.Error
	if errors.As(err, &be) {
		return be
	}
	return baton.Errorf(baton.EBADREQUEST, "Malformed JSON: %s", err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	return "a number"
}

// pathID reads a numeric path value; anything else names nothing.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, baton.ErrNotFound
	}
	return id, nil
}

// queryID reads an optional numeric query parameter.
func queryID(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0, baton.Errorf(baton.EBADREQUEST, "%s must be a whole number", name)
	}
	return id, nil
}

// Time formats of the wire.

func unix(t time.Time) int64 { return t.Unix() }

func unixOrZero(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

func unixOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func isoOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return iso(*t)
}

// unixFloat is Rails' float seconds, as Chatwoot's updated_at.
func unixFloat(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nilIfZero is an id, or null for none.
func nilIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func objectOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func idString(id int64) string { return fmt.Sprint(id) }
