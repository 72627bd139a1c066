package baton

import (
	"strings"
	"time"
)

// File types of attachments, as Chatwoot names them.
const (
	FileImage = "image"
	FileAudio = "audio"
	FileVideo = "video"
	FileFile  = "file"
)

// Attachment is a file on a message. The bytes live in a file store under
// StorageKey; the row keeps what is needed to show it.
type Attachment struct {
	ID          int64
	MessageID   int64
	AccountID   int64
	FileType    string
	FileName    string
	ContentType string
	ByteSize    int64
	StorageKey  string
	CreatedAt   time.Time
}

// Extension returns the file name's extension without the dot, or "".
func (a *Attachment) Extension() string {
	if i := strings.LastIndexByte(a.FileName, '.'); i >= 0 && i < len(a.FileName)-1 {
		return strings.ToLower(a.FileName[i+1:])
	}
	return ""
}

// FileTypeOf classifies a MIME type into a Chatwoot file type.
func FileTypeOf(contentType string) string {
	switch {
	case strings.HasPrefix(contentType, "image/"):
		return FileImage
	case strings.HasPrefix(contentType, "audio/"):
		return FileAudio
	case strings.HasPrefix(contentType, "video/"):
		return FileVideo
	}
	return FileFile
}
