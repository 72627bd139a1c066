package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// MessageInput holds a message to create.
type MessageInput struct {
	Content           *string
	MessageType       string // outgoing (default) or incoming (API inboxes only)
	Private           bool
	ContentType       string
	ContentAttributes map[string]any
	EchoID            string
	SourceID          string
	Files             []FileInput
}

// FileInput is an uploaded file.
type FileInput struct {
	Name        string
	ContentType string
	Body        io.Reader
}

// stored is a file written to the file store for a message being made.
type stored struct {
	key  string
	in   FileInput
	size int64
}

// CreateMessage adds a message to a conversation the caller may see.
func (a *App) CreateMessage(ctx context.Context, accountID, displayID int64, in MessageInput) (*baton.Message, error) {
	// Who may write here is checked on the reader pool, before the write
	// transaction: on SQLite every write waits for the one writer, and a
	// bot's reply is on the hot path of every bot turn. A membership ended
	// a moment before is as if it had ended a moment after.
	s, err := a.accountScope(ctx, a.store.Read(), accountID)
	if err != nil {
		return nil, err
	}
	files, err := a.storeFiles(ctx, accountID, in.Files)
	if err != nil {
		return nil, err
	}
	var m *baton.Message
	var c *baton.Conversation
	hint := "account " + strconv.FormatInt(s.account.ID, 10)
	k := &known{}
	err = a.writeMessage(ctx, files, func(q *store.Queries) (err error) {
		// The conversation, its inbox's bot, whether webhooks may hear and
		// the flood guard's count, in one statement; a bot always hears
		// its own message.
		t, err := q.FindMessageTarget(ctx, s.account.ID, displayID, a.floodSince(), a.limits.MessagesPerMinute,
			a.heardGuess(hint, s.actor.Kind == baton.ActorAgentBot))
		if err != nil {
			return err
		}
		if c = t.Conversation; !s.seesConversation(c) {
			return baton.ErrNotFound
		}
		if in.MessageType == "incoming" {
			// Needed only to check an incoming message's inbox; the
			// event's snapshot uses it too.
			if c.Inbox, err = q.FindInbox(ctx, accountID, c.InboxID); err != nil {
				return err
			}
		}
		if m, err = a.messageFrom(s.actor, c, c.Inbox, in); err != nil {
			return err
		}
		*k = known{target: t}
		return a.addMessage(ctx, q, s.actor, c, m, files, k)
	})
	if err != nil {
		a.deleteFiles(files)
		return nil, err
	}
	a.rememberHeard(hint, k.heard)
	// The caller is the sender, and addMessage kept the attachments it
	// made: nothing to read back, but the contact of an incoming message.
	m.ConversationDisplayID = c.DisplayID
	switch m.SenderType {
	case baton.SenderUser:
		m.Sender = &baton.Sender{Type: m.SenderType, User: s.actor.User}
	case baton.SenderAgentBot:
		m.Sender = &baton.Sender{Type: m.SenderType, Bot: s.actor.Bot}
	default:
		return m, a.loadMessage(ctx, c, m)
	}
	return m, nil
}

// messageFrom builds the message a user or bot asked for; inbox is the
// conversation's, and may be nil unless the message is incoming.
func (a *App) messageFrom(actor *baton.Actor, c *baton.Conversation, inbox *baton.Inbox, in MessageInput) (*baton.Message, error) {
	m := &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
		MessageType: baton.MessageOutgoing, Content: in.Content, Private: in.Private, EchoID: in.EchoID,
		SourceID: in.SourceID}
	switch in.MessageType {
	case "", "outgoing":
	case "incoming":
		if !inbox.IsAPI() {
			return nil, baton.Invalid("Incoming messages are only allowed in Api inboxes", "message_type")
		}
		m.MessageType = baton.MessageIncoming
	default:
		return nil, baton.Invalid(fmt.Sprintf("'%s' is not a valid message_type", in.MessageType), "message_type")
	}
	switch {
	case m.MessageType == baton.MessageIncoming:
		m.SenderType, m.SenderID = baton.SenderContact, c.ContactID
	case actor.User != nil:
		m.SenderType, m.SenderID = baton.SenderUser, actor.User.ID
	case actor.Bot != nil:
		m.SenderType, m.SenderID = baton.SenderAgentBot, actor.Bot.ID
	}
	if in.ContentType != "" {
		ct, ok := baton.ParseContentType(in.ContentType)
		if !ok {
			return nil, baton.Invalid(fmt.Sprintf("'%s' is not a valid content_type", in.ContentType), "content_type")
		}
		m.ContentType = ct
	}
	// Like Chatwoot, only items and in_reply_to are taken from the caller;
	// the rest of content_attributes is the server's to fill.
	m.ContentAttributes = map[string]any{}
	for _, k := range []string{"items", "in_reply_to"} {
		if v, ok := in.ContentAttributes[k]; ok {
			m.ContentAttributes[k] = v
		}
	}
	return m, nil
}

// addMessage validates and inserts a message with its attachments, and
// updates the conversation as the message implies: a customer writing
// reopens a snoozed or resolved conversation and starts the wait for a
// reply; a person's public reply ends it.
//
// k, when not nil, is what the caller read already in the transaction.
func (a *App) addMessage(ctx context.Context, q *store.Queries, actor *baton.Actor, c *baton.Conversation, m *baton.Message, files []stored, k *known) error {
	if err := checkContent(m, len(files)); err != nil {
		return err
	}
	if err := a.replyTarget(ctx, q, c, m); err != nil {
		return err
	}
	now := a.Now()
	var n int
	var err error
	if k != nil && k.target != nil {
		n = k.target.Recent
	} else if n, err = q.FloodCount(ctx, c.ID, a.floodSince(), a.limits.MessagesPerMinute); err != nil {
		return err
	}
	if n >= a.limits.MessagesPerMinute {
		return &baton.Error{Code: baton.ERATELIMIT, Message: "Too many messages"}
	}
	if err := a.checkOwner(ctx, q, actor, c, m); err != nil {
		return err
	}
	prev := snapshot(c)
	dirty := false
	// A person's public reply to the bot's conversation takes it over.
	if c.Status == baton.StatusPending && m.MessageType == baton.MessageOutgoing && !m.Private && m.SenderType == baton.SenderUser {
		if err := a.takeOver(ctx, q, actor, c); err != nil {
			return err
		}
		dirty = true
	}
	m.CreatedAt, m.UpdatedAt = now, now
	// The message is written before anything that writes after it (a
	// status change's activity message), or, when nothing does, with the
	// conversation's activity and its live event in one statement.
	created := false
	create := func() error {
		if created {
			return nil
		}
		created = true
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		for _, f := range files {
			att := &baton.Attachment{MessageID: m.ID, AccountID: m.AccountID, FileType: baton.FileTypeOf(f.in.ContentType),
				FileName: f.in.Name, ContentType: f.in.ContentType, ByteSize: f.size, StorageKey: f.key, CreatedAt: now}
			if err := q.CreateAttachment(ctx, att); err != nil {
				return err
			}
			m.Attachments = append(m.Attachments, att)
		}
		return nil
	}
	if len(files) > 0 {
		if err := create(); err != nil {
			return err
		}
	}

	// The inbox's bot decides both where a customer's message leaves a
	// resolved conversation and who hears of the message: it is read once.
	var link *baton.AgentBotInbox
	if k != nil && k.target != nil {
		link = k.target.Bot
	} else if link, err = inboxBot(ctx, q, c.InboxID); err != nil {
		return err
	}
	switch {
	case m.MessageType == baton.MessageIncoming:
		hasBot := link != nil && link.Active
		if hasBot && c.Status == baton.StatusResolved {
			// Back to the bot only if it takes conversations now: not
			// while its breaker is open (unless it asked to).
			if hasBot, err = a.botTakesNew(ctx, q, link); err != nil {
				return err
			}
		}
		if next := baton.StatusOnIncoming(c.Status, hasBot); next != c.Status {
			contact := &baton.Actor{Kind: baton.ActorContact, Name: "Contact"}
			if err := create(); err != nil {
				return err
			}
			if err := a.setStatus(ctx, q, c, next, nil, contact); err != nil {
				return err
			}
			dirty = true
		}
		if c.WaitingSince == nil {
			c.WaitingSince, dirty = &now, true
		}
		// A contact's last activity is shown to the minute: a customer
		// writing several messages a minute costs the writer one update.
		if ct := c.Contact; ct == nil || ct.LastActivityAt == nil || now.Sub(*ct.LastActivityAt) >= time.Minute {
			if err := q.TouchContact(ctx, c.ContactID, now.UnixMicro()); err != nil {
				return err
			}
			if k != nil && k.target != nil && k.target.Around != nil && k.target.Around.Contact != c.Contact {
				k.target.Around = nil // its contact is as it was before the touch
			}
		}
	case m.MessageType == baton.MessageOutgoing && !m.Private && m.SenderType == baton.SenderUser:
		first := c.FirstReplyCreatedAt == nil
		if err := a.recordReply(ctx, q, c, m, first, c.WaitingSince); err != nil {
			return err
		}
		if first {
			c.FirstReplyCreatedAt, dirty = &now, true
		}
		if c.WaitingSince != nil {
			c.WaitingSince, dirty = nil, true
			if err := q.RecordFirstReply(ctx, c.ID, now.UnixMicro()); err != nil {
				return err
			}
		}
	}
	c.LastActivityAt, c.UpdatedAt = now, now
	if k == nil {
		k = &known{}
	}
	k.fresh = true
	live := true // live clients are still to be told of the message
	if dirty {
		if k.target != nil {
			// A status change may have handed the conversation over: its
			// surroundings are read again for the event.
			k.target.Around = nil
		}
		if err := create(); err != nil {
			return err
		}
		if err := a.saveConversation(ctx, q, prev, c); err != nil {
			return err
		}
	} else {
		// The conversation's activity and the message's live event, next
		// to each other here: one statement on PostgreSQL, with the
		// message when it is not written yet.
		e, err := a.liveMessage(ctx, baton.EventMessageCreated, m, nil)
		if err != nil {
			return err
		}
		if created {
			err = q.TouchConversationLive(ctx, c.ID, now.UnixMicro(), e)
		} else {
			err = q.CreateMessageLive(ctx, m, now.UnixMicro(), e)
		}
		if err != nil {
			return err
		}
		a.published(q)
		live = false
	}
	// A customer's message: through the public or widget API, or posted as
	// incoming by an integration with a user token; never by a bot.
	byCustomer := m.MessageType == baton.MessageIncoming && actor.Kind != baton.ActorAgentBot
	return a.emitMessageHeard(ctx, q, baton.EventMessageCreated, c, m, link, byCustomer, live, k)
}

// writeMessage runs write, which writes a message with its files, found by
// a message lookup: without a transaction where it can
// (store.WriteOptimistic), as a message that changes nothing but its
// conversation's activity is, saving round trips; files are written in a
// transaction.
func (a *App) writeMessage(ctx context.Context, files []stored, write func(q *store.Queries) error) error {
	if len(files) > 0 {
		return a.store.Write(ctx, write)
	}
	return a.store.WriteOptimistic(ctx, write)
}

// checkContent refuses a message with neither content nor files, and
// content its type does not allow; blank text is no content.
func checkContent(m *baton.Message, files int) error {
	if m.Content != nil && strings.TrimSpace(*m.Content) == "" && m.ContentType == baton.ContentText {
		m.Content = nil
	}
	if m.Content == nil && files == 0 && m.ContentType == baton.ContentText {
		return baton.Invalid("Content can't be blank", "content")
	}
	return baton.ValidateContent(m.Content, m.ContentType, m.ContentAttributes)
}

// known is what a use case read already in its transaction, handed on so
// that writing a message and the event it raises do not read it again.
type known struct {
	// target is the message's conversation as FindMessageTarget or
	// FindPublicMessageTarget read it; nil when it was read otherwise.
	// Its Around, when set, are the conversation's surroundings before
	// the message: the event's snapshot uses them (surroundings).
	target *store.MessageTarget
	// heard is set when a bot or webhook heard of the message.
	heard bool
	// fresh says the event's message was just written: it is the
	// conversation's newest, and its attachments are those it holds.
	fresh bool
	// was is an updated message as it was before the update.
	was *baton.Message
}

// before is the message as it was before the update, or nil.
func (k *known) before() *baton.Message {
	if k == nil {
		return nil
	}
	return k.was
}

// surroundings are the surroundings the message's lookup read, with the
// message m, written since, in the unread count; nil when it read none.
func (k *known) surroundings(m *baton.Message) *store.Surroundings {
	if k == nil || k.target == nil || k.target.Around == nil {
		return nil
	}
	s := *k.target.Around
	c := k.target.Conversation
	var since int64
	if c.AgentLastSeenAt != nil {
		since = c.AgentLastSeenAt.UnixMicro()
	}
	if m.MessageType == baton.MessageIncoming && m.CreatedAt.UnixMicro() > since && s.Unread < unreadLimit {
		s.Unread++
	}
	return &s
}

// heardGuess is the unread limit when the message's lookup should read the
// conversation's surroundings with it, and 0 when not: when someone heard
// of the last message written where this one is (the inbox of a public
// API or widget caller, the account of an Application API caller), as
// most messages where a bot or webhook listens are heard; always when
// sure. A wrong guess costs a statement (FindSurroundings) or a few
// columns read for nothing, never a wrong event.
func (a *App) heardGuess(where string, sure bool) int {
	if heard, ok := a.heard.Load(where); sure || !ok || heard.(bool) {
		return unreadLimit
	}
	return 0
}

// rememberHeard keeps for heardGuess whether someone heard of the message
// written where; written only when it changes, as it seldom does.
func (a *App) rememberHeard(where string, heard bool) {
	if was, ok := a.heard.Load(where); !ok || was.(bool) != heard {
		a.heard.Store(where, heard)
	}
}

// floodSince is a minute ago: a flood minute that began after it runs on
// (see store.FloodCount).
func (a *App) floodSince() int64 { return a.Now().Add(-time.Minute).UnixMicro() }

// replyTarget checks in_reply_to and records the target's external id, as
// Chatwoot does, so channels can thread the reply.
func (a *App) replyTarget(ctx context.Context, q *store.Queries, c *baton.Conversation, m *baton.Message) error {
	raw, ok := m.ContentAttributes["in_reply_to"]
	if !ok || raw == nil {
		delete(m.ContentAttributes, "in_reply_to")
		return nil
	}
	id, ok := raw.(float64)
	if !ok || id != float64(int64(id)) {
		return baton.Invalid("Content attributes in_reply_to must be a message id", "content_attributes")
	}
	target, err := q.FindMessage(ctx, c.ID, int64(id))
	if errors.Is(err, baton.ErrNotFound) {
		return baton.Invalid("Content attributes in_reply_to is not a message of this conversation", "content_attributes")
	} else if err != nil {
		return err
	}
	m.ContentAttributes["in_reply_to"] = target.ID
	if target.SourceID != "" {
		m.ContentAttributes["in_reply_to_external_id"] = target.SourceID
	}
	return nil
}

// allowedFileTypes are the MIME types attachments may have: media, text
// and office documents. Anything else (executables, HTML) is refused.
var allowedFileTypes = []string{"image/", "audio/", "video/", "text/plain", "text/csv", "application/pdf",
	"application/json", "application/zip", "application/msword", "application/vnd.ms-excel",
	"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.",
	"application/vnd.oasis.opendocument."}

// acceptExtensions name, for a file picker, the types that allowedFileTypes
// admits by a prefix no MIME wildcard can say.
var acceptExtensions = map[string]string{
	"application/vnd.openxmlformats-officedocument.": ".docx,.xlsx,.pptx",
	"application/vnd.oasis.opendocument.":            ".odt,.ods,.odp",
}

// FileAccept lists the file types attachments may have as an HTML accept
// attribute does, for the widget's file picker to offer only those. It is a
// hint: storeFiles checks every file.
func FileAccept() string {
	out := make([]string, 0, len(allowedFileTypes))
	for _, p := range allowedFileTypes {
		switch {
		case strings.HasSuffix(p, "/"):
			out = append(out, p+"*")
		case strings.HasSuffix(p, "."):
			out = append(out, acceptExtensions[p])
		default:
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

// storeFiles checks and writes uploaded files before the transaction that
// records them; on any failure what was written is removed again.
func (a *App) storeFiles(ctx context.Context, accountID int64, files []FileInput) ([]stored, error) {
	if len(files) > a.limits.AttachmentsPerMessage {
		return nil, baton.Invalid(fmt.Sprintf("Too many attachments (maximum is %d)", a.limits.AttachmentsPerMessage), "attachments")
	}
	if len(files) > 0 && a.files == nil {
		return nil, baton.Invalid("Attachments are not enabled", "attachments")
	}
	var out []stored
	for _, f := range files {
		f.Name = path.Base(strings.ReplaceAll(f.Name, `\`, "/"))
		if f.Name == "." || f.Name == "/" || f.Name == "" {
			f.Name = "file"
		}
		if len(f.Name) > 255 {
			f.Name = f.Name[len(f.Name)-255:]
		}
		ct, _, _ := mime.ParseMediaType(f.ContentType)
		if ct == "" || ct == "application/octet-stream" {
			ct, _, _ = mime.ParseMediaType(mime.TypeByExtension(path.Ext(f.Name)))
		}
		f.ContentType = ct
		if !allowedFileType(ct) {
			a.deleteFiles(out)
			return nil, baton.Invalid(fmt.Sprintf("Attachment %s has a file type that is not allowed (%s)", f.Name, orUnknown(ct)), "attachments")
		}
		var rnd [16]byte
		_, _ = rand.Read(rnd[:])
		key := fmt.Sprintf("%d/%s%s", accountID, hex.EncodeToString(rnd[:]), safeExtension(f.Name))
		n, err := a.files.Put(ctx, key, io.LimitReader(f.Body, a.limits.AttachmentMaxBytes+1))
		out = append(out, stored{key: key, in: f, size: n})
		if err != nil {
			a.deleteFiles(out)
			return nil, fmt.Errorf("store attachment: %w", err)
		}
		if n > a.limits.AttachmentMaxBytes {
			a.deleteFiles(out)
			return nil, &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("Attachment %s is too large (maximum is %d MB)", f.Name, a.limits.AttachmentMaxBytes>>20)}
		}
	}
	return out, nil
}

// safeExtension is a file name's extension as a storage key may carry it:
// letters and digits only, so that the key goes into a URL as it is.
func safeExtension(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if len(ext) < 2 || len(ext) > 11 {
		return ""
	}
	for _, r := range ext[1:] {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return ""
		}
	}
	return ext
}

func allowedFileType(ct string) bool {
	for _, p := range allowedFileTypes {
		if ct == p || (strings.HasSuffix(p, "/") || strings.HasSuffix(p, ".")) && strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// removeFiles removes the files of attachments whose rows a committed
// deletion took with it (of an account, inbox or contact): the database
// cascade cannot reach the disk.
func (a *App) removeFiles(keys []string, of string) {
	for _, k := range keys {
		if err := a.files.Delete(context.Background(), k); err != nil {
			a.log.Warn("could not remove an attachment of "+of, "key", k, "err", err)
		}
	}
}

// deleteFiles removes files whose message was not made.
func (a *App) deleteFiles(files []stored) {
	for _, f := range files {
		if err := a.files.Delete(context.Background(), f.key); err != nil {
			a.log.Warn("could not remove attachment of a failed message", "key", f.key, "err", err)
		}
	}
}

// OpenAttachment returns an attachment and its bytes. Attachments are
// reached by unguessable URL, as Chatwoot's are: the id alone opens nothing.
func (a *App) OpenAttachment(ctx context.Context, id int64, storageKey string) (*baton.Attachment, io.ReadCloser, error) {
	att, err := a.store.Read().FindAttachment(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if att.StorageKey != storageKey || a.files == nil {
		return nil, nil, baton.ErrNotFound
	}
	r, err := a.files.Open(ctx, att.StorageKey)
	return att, r, err
}

// loadMessage fills in a message's sender and attachments for its view.
func (a *App) loadMessage(ctx context.Context, c *baton.Conversation, m *baton.Message) error {
	return newLoader(a.store.Read(), a.liveSince()).messages(ctx, c, []*baton.Message{m})
}

// MessagePage is a page of a conversation's messages with the conversation.
type MessagePage struct {
	Conversation *baton.Conversation
	Messages     []*baton.Message
}

// Messages lists a conversation's messages, 20 at a time: the newest
// before the id Before, or the oldest after the id After.
func (a *App) Messages(ctx context.Context, accountID, displayID, before, after int64) (*MessagePage, error) {
	q := a.store.Read()
	_, c, err := a.visibleConversation(ctx, q, accountID, displayID)
	if err != nil {
		return nil, err
	}
	l := newLoader(q, a.liveSince())
	if err := l.conversation(ctx, c); err != nil {
		return nil, err
	}
	ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Before: before, After: after})
	if err != nil {
		return nil, err
	}
	return &MessagePage{Conversation: c, Messages: ms}, l.messages(ctx, c, ms)
}

// DeleteMessage deletes a message the way Chatwoot does: the row stays,
// marked deleted, its content replaced and its attachments removed.
func (a *App) DeleteMessage(ctx context.Context, accountID, displayID, id int64) (*baton.Message, error) {
	var m *baton.Message
	var c *baton.Conversation
	var keys []string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if _, c, err = a.visibleConversation(ctx, q, accountID, displayID); err != nil {
			return err
		}
		if m, err = q.FindMessage(ctx, c.ID, id); err != nil {
			return err
		}
		if m.MessageType == baton.MessageActivity {
			return baton.Invalid("Activity messages cannot be deleted", "id")
		}
		if keys, err = q.StorageKeysOfMessage(ctx, m.ID); err != nil {
			return err
		}
		if err := q.DeleteAttachments(ctx, m.ID); err != nil {
			return err
		}
		before := *m
		deleted := "This message was deleted"
		m.Content, m.ContentType = &deleted, baton.ContentText
		m.ContentAttributes = map[string]any{"deleted": true}
		m.UpdatedAt = a.Now()
		if err := q.UpdateMessage(ctx, m); err != nil {
			return err
		}
		return a.emitMessage(ctx, q, baton.EventMessageUpdated, c, m, &before)
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := a.files.Delete(ctx, k); err != nil {
			a.log.Warn("could not remove attachment of a deleted message", "key", k, "err", err)
		}
	}
	return m, a.loadMessage(ctx, c, m)
}

// PublicMessages lists the public messages of one of the contact's
// conversations: the newest 20 before the id Before, when set.
func (a *App) PublicMessages(ctx context.Context, displayID, before int64) ([]*baton.Message, error) {
	q := a.store.Read()
	_, c, err := a.publicConversation(ctx, q, displayID)
	if err != nil {
		return nil, err
	}
	ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Before: before})
	if err != nil {
		return nil, err
	}
	return ms, newLoader(q, a.liveSince()).messages(ctx, c, ms)
}

// PublicMessageInput is a customer's message.
type PublicMessageInput struct {
	Content *string
	EchoID  string
	Files   []FileInput
}

// PublicCreateMessage adds the contact's message to one of their conversations.
func (a *App) PublicCreateMessage(ctx context.Context, displayID int64, in PublicMessageInput) (*baton.Message, error) {
	// Files are stored before the transaction, so that SQLite's one writer
	// never waits on a disk copy, and once the conversation is known to be
	// the contact's, so that strangers cannot fill the disk. Without files
	// the lookup is done once, in the transaction: on the reader pool it
	// cost more than it saved.
	var files []stored
	if len(in.Files) > 0 {
		_, known, err := a.publicConversation(ctx, a.store.Read(), displayID)
		if err != nil {
			return nil, err
		}
		if files, err = a.storeFiles(ctx, known.AccountID, in.Files); err != nil {
			return nil, err
		}
	}
	hint := "inbox " + baton.CredentialFromContext(ctx).InboxIdentifier
	if len(in.Files) == 0 && !a.heardBefore(hint) {
		if m, ok, err := a.quietMessage(ctx, displayID, in); ok || err != nil {
			return m, err
		}
	}
	var m *baton.Message
	var c *baton.Conversation
	k := &known{}
	err := a.writeMessage(ctx, files, func(q *store.Queries) (err error) {
		// One statement reads the conversation with what the message needs
		// (see store.MessageTarget), not the inbox's many columns: the
		// event's snapshot reads them when someone hears of it.
		cred := baton.CredentialFromContext(ctx)
		t, err := q.FindPublicMessageTarget(ctx, cred.InboxIdentifier, cred.SourceID, displayID,
			a.floodSince(), a.limits.MessagesPerMinute, a.heardGuess(hint, false))
		if err != nil {
			return err
		}
		c = t.Conversation
		p := &PublicSession{ContactInbox: c.ContactInbox, Contact: c.Contact}
		m = &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
			MessageType: baton.MessageIncoming, Content: in.Content, EchoID: in.EchoID,
			SenderType: baton.SenderContact, SenderID: p.Contact.ID, ContentAttributes: map[string]any{}}
		*k = known{target: t}
		return a.addMessage(ctx, q, p.actor(), c, m, files, k)
	})
	if err != nil {
		a.deleteFiles(files)
		return nil, err
	}
	a.rememberHeard(hint, k.heard)
	// The sender is the contact read in the transaction and the attachments
	// are those addMessage made: loadMessage would read both again, two
	// queries more on the customer message hot path.
	m.ConversationDisplayID = c.DisplayID
	m.Sender = &baton.Sender{Type: baton.SenderContact, Contact: c.Contact}
	return m, nil
}

// quietMessage writes the contact's message without the transaction's
// lookup when it changes nothing but its conversation's activity and nobody
// but live clients hears of it (store.CreateQuietMessage), as most messages
// of a conversation without a bot are. ok is false when it is not such a
// message; nothing is written then.
func (a *App) quietMessage(ctx context.Context, displayID int64, in PublicMessageInput) (m *baton.Message, ok bool, err error) {
	now := a.Now()
	m = &baton.Message{MessageType: baton.MessageIncoming, Content: in.Content, EchoID: in.EchoID,
		SenderType: baton.SenderContact, ContentAttributes: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if err := checkContent(m, 0); err != nil {
		return nil, false, err
	}
	e, err := a.liveMessage(ctx, baton.EventMessageCreated, m, nil)
	if err != nil {
		return nil, false, err
	}
	cred := baton.CredentialFromContext(ctx)
	c, ok, err := a.store.CreateQuietMessage(ctx, store.QuietMessage{InboxIdentifier: cred.InboxIdentifier,
		SourceID: cred.SourceID, DisplayID: displayID, Message: m, Live: e,
		ActiveSince: now.Add(-time.Minute).UnixMicro(), FloodSince: a.floodSince(), FloodLimit: a.limits.MessagesPerMinute})
	if !ok || err != nil {
		return nil, false, err
	}
	if a.onLive != nil {
		a.onLive()
	}
	m.ConversationDisplayID = c.DisplayID
	m.Sender = &baton.Sender{Type: baton.SenderContact, Contact: c.Contact}
	return m, true, nil
}

// heardBefore says whether a bot or webhook heard of the last message
// written where (rememberHeard).
func (a *App) heardBefore(where string) bool {
	heard, ok := a.heard.Load(where)
	return ok && heard.(bool)
}

// CSATWindow is how long after it was sent a CSAT survey can be answered.
const CSATWindow = 14 * 24 * time.Hour

// Answer is a customer's answer to an interactive message.
type Answer struct {
	SubmittedValues any    // an array for input_select and form, an object for input_csat
	SubmittedEmail  string // for input_email
}

// PublicAnswer records the contact's answer to an interactive message of one
// of their conversations.
func (a *App) PublicAnswer(ctx context.Context, displayID, messageID int64, ans Answer) (*baton.Message, error) {
	var m *baton.Message
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		var p *PublicSession
		if p, c, err = a.publicConversation(ctx, q, displayID); err != nil {
			return err
		}
		if m, err = q.FindMessage(ctx, c.ID, messageID); err != nil {
			return err
		}
		if m.Private {
			return baton.ErrNotFound
		}
		return a.answer(ctx, q, p.Contact, c, m, ans)
	})
	if err != nil {
		return nil, err
	}
	return m, a.loadMessage(ctx, c, m)
}

// answer checks an answer against the message it answers and stores it in
// the message's content attributes. An e-mail given to input_email becomes
// the contact's when they have none.
func (a *App) answer(ctx context.Context, q *store.Queries, contact *baton.Contact, c *baton.Conversation, m *baton.Message, ans Answer) error {
	now := a.Now()
	before := *m
	before.ContentAttributes = maps.Clone(m.ContentAttributes) // the answer is set in m's
	switch m.ContentType {
	case baton.ContentInputEmail:
		email := baton.NormalizeEmail(ans.SubmittedEmail)
		if email == "" {
			email = baton.NormalizeEmail(firstValue(ans.SubmittedValues))
		}
		if !baton.ValidEmail(email) {
			return baton.Invalid("Submitted email is invalid", "submitted_email")
		}
		m.ContentAttributes["submitted_email"] = email
		// An e-mail another contact has stays theirs. It is looked up, not
		// left to the unique index: a failed statement aborts the whole
		// transaction on PostgreSQL.
		if contact.Email == "" {
			_, err := q.FindContactByEmail(ctx, contact.AccountID, email)
			switch {
			case errors.Is(err, baton.ErrNotFound):
				before := *contact
				contact.Email, contact.UpdatedAt = email, now
				if err := a.saveContact(ctx, q, contact); err != nil {
					return err
				}
				if err := a.emitContact(ctx, q, &before, contact); err != nil {
					return err
				}
			case err != nil:
				return err
			}
		}
	case baton.ContentInputCSAT:
		if now.Sub(m.CreatedAt) > CSATWindow {
			return baton.Invalid("You cannot update the CSAT survey after 14 days", "submitted_values")
		}
		v, err := csatAnswer(ans.SubmittedValues)
		if err != nil {
			return err
		}
		m.ContentAttributes["submitted_values"] = v
	case baton.ContentInputSelect:
		v, err := selectAnswer(m, ans.SubmittedValues)
		if err != nil {
			return err
		}
		m.ContentAttributes["submitted_values"] = v
	case baton.ContentForm:
		v, err := formAnswer(m, ans.SubmittedValues)
		if err != nil {
			return err
		}
		m.ContentAttributes["submitted_values"] = v
	default:
		return baton.Invalid(fmt.Sprintf("Message %d is not a question that can be answered (content type %s)", m.ID, m.ContentType), "submitted_values")
	}
	// The same answer again changes nothing and tells no one; a changed
	// one counts against the conversation's limit, as a message does.
	if sameDocument(before.ContentAttributes, m.ContentAttributes) {
		return nil
	}
	if !a.answers.take(c.ID, now, a.limits.MessagesPerMinute) {
		return &baton.Error{Code: baton.ERATELIMIT, Message: "Too many messages"}
	}
	m.UpdatedAt = now
	if err := q.UpdateMessage(ctx, m); err != nil {
		return err
	}
	link, err := inboxBot(ctx, q, c.InboxID)
	if err != nil {
		return err
	}
	return a.emitMessageTo(ctx, q, baton.EventMessageUpdated, c, m, link, true, &known{was: &before})
}

func firstValue(v any) string {
	if list, ok := v.([]any); ok && len(list) > 0 {
		if item, ok := list[0].(map[string]any); ok {
			s, _ := item["value"].(string)
			return s
		}
	}
	return ""
}

func csatAnswer(v any) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	resp, ok2 := obj["csat_survey_response"].(map[string]any)
	if !ok || !ok2 {
		return nil, baton.Invalid("Submitted values must be {\"csat_survey_response\": {\"rating\": 1-5, \"feedback_message\": \"…\"}}", "submitted_values")
	}
	rating, ok := resp["rating"].(float64)
	if !ok || rating != float64(int(rating)) || rating < 1 || rating > 5 {
		return nil, baton.Invalid("Rating must be a whole number from 1 to 5", "submitted_values")
	}
	out := map[string]any{"rating": int(rating)}
	if fb, ok := resp["feedback_message"].(string); ok {
		out["feedback_message"] = fb
	} else if resp["feedback_message"] != nil {
		return nil, baton.Invalid("Feedback message must be text", "submitted_values")
	}
	return map[string]any{"csat_survey_response": out}, nil
}

// selectAnswer accepts the chosen items of an input_select: each must be one
// of the message's items, matched by value, or by title when it has none.
func selectAnswer(m *baton.Message, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, baton.Invalid("Submitted values must be a list of the chosen items", "submitted_values")
	}
	items, _ := m.ContentAttributes["items"].([]any)
	var out []any
	for _, raw := range list {
		chosen, ok := raw.(map[string]any)
		if !ok {
			return nil, baton.Invalid("Submitted values must be a list of the chosen items", "submitted_values")
		}
		var match map[string]any
		for _, it := range items {
			item, _ := it.(map[string]any)
			if item == nil {
				continue
			}
			if v, ok := chosen["value"]; ok && v != nil && fmt.Sprint(v) == fmt.Sprint(item["value"]) {
				match = item
			} else if t, ok := chosen["title"]; ok && item["value"] == nil && fmt.Sprint(t) == fmt.Sprint(item["title"]) {
				match = item
			}
			if match != nil {
				break
			}
		}
		if match == nil {
			return nil, baton.Invalid(fmt.Sprintf("Submitted value %v is not one of the options", chosen["value"]), "submitted_values")
		}
		out = append(out, map[string]any{"title": match["title"], "value": match["value"]})
	}
	return out, nil
}

// formAnswer accepts a form's answers: [{name, value}] for the form's
// fields, with every required field answered and e-mail fields valid.
func formAnswer(m *baton.Message, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, baton.Invalid("Submitted values must be a list of {name, value}", "submitted_values")
	}
	items, _ := m.ContentAttributes["items"].([]any)
	fields := map[string]map[string]any{}
	for _, it := range items {
		if item, ok := it.(map[string]any); ok {
			if name, ok := item["name"].(string); ok {
				fields[name] = item
			}
		}
	}
	var out []any
	var answered []string
	for _, raw := range list {
		ans, ok := raw.(map[string]any)
		name, _ := ans["name"].(string)
		if !ok || name == "" {
			return nil, baton.Invalid("Submitted values must be a list of {name, value}", "submitted_values")
		}
		field, ok := fields[name]
		if !ok {
			return nil, baton.Invalid(fmt.Sprintf("The form has no field %q", name), "submitted_values")
		}
		value := fmt.Sprint(orBlank(ans["value"]))
		if field["type"] == "email" && value != "" && !baton.ValidEmail(strings.TrimSpace(value)) {
			return nil, baton.Invalid(fmt.Sprintf("Field %q needs an e-mail address", name), "submitted_values")
		}
		if value != "" {
			answered = append(answered, name)
		}
		out = append(out, map[string]any{"name": name, "value": value})
	}
	for name, field := range fields {
		if req, _ := field["required"].(bool); req && !slices.Contains(answered, name) {
			return nil, baton.Invalid(fmt.Sprintf("Field %q is required", name), "submitted_values")
		}
	}
	return out, nil
}

func orBlank(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// WidgetMessageInput is a visitor's message.
type WidgetMessageInput struct {
	Content *string
	EchoID  string
	ReplyTo int64 // the id of the message it answers, or 0
	// Visit becomes the additional attributes of a conversation the message
	// starts: browser, referer and initiated_at, as Chatwoot records them.
	Visit map[string]any
	Files []FileInput
	// NewConversation starts a new conversation even when the visitor has
	// one (the widget's pre-chat form and "start a new conversation"),
	// with ConversationAttributes as its custom attributes.
	NewConversation        bool
	ConversationAttributes map[string]any
	// PreChat, with NewConversation, are the pre-chat form's answers:
	// checked against the inbox's form (checkPreChat) and written to the
	// contact with the message, all or nothing. Its conversation
	// attributes replace ConversationAttributes.
	PreChat *PreChatAnswers
}

// WidgetConversationsPerHour bounds the conversations one widget visitor
// starts (their first message, a message after a resolved conversation
// that takes none, "Start a new conversation"): each lands in the agents'
// queues and goes to the inbox's bot, and one visitor started them as
// fast as the server answered. Chatwoot allows 6 new conversations a
// client address in 12 hours.
const WidgetConversationsPerHour = 10

// WidgetCreateMessage adds the visitor's message to their current
// conversation, starting one (pending when the inbox has an active bot)
// when there is none, at most WidgetConversationsPerHour an hour.
func (a *App) WidgetCreateMessage(ctx context.Context, in WidgetMessageInput) (*baton.Message, error) {
	// Files are stored before the transaction, once the visitor is known,
	// as the public API does.
	var files []stored
	if len(in.Files) > 0 {
		w, err := a.widgetSession(ctx, a.store.Read())
		if err != nil {
			return nil, err
		}
		if files, err = a.storeFiles(ctx, w.Inbox.AccountID, in.Files); err != nil {
			return nil, err
		}
	}
	var m *baton.Message
	var c *baton.Conversation
	var w *WidgetSession
	hint := "widget " + baton.CredentialFromContext(ctx).WebsiteToken
	k := &known{}
	// As the public API's, the message goes in without a transaction on
	// PostgreSQL when it is only a message into the visitor's current
	// conversation (writeMessage): one that starts a conversation runs
	// again in one.
	err := a.writeMessage(ctx, files, func(q *store.Queries) (err error) {
		if w, err = a.widgetSession(ctx, q); err != nil {
			return err
		}
		*k, c = known{}, nil
		current := func() error {
			// The conversation with what the message needs beside, as the
			// public API reads it (FindPublicMessageTarget).
			if k.target, err = a.currentTarget(ctx, q, w, a.heardGuess(hint, false)); err != nil {
				return err
			}
			if k.target != nil {
				c = k.target.Conversation
			}
			return nil
		}
		if !in.NewConversation {
			if err := current(); err != nil {
				return err
			}
		}
		if c == nil {
			// A visitor's messages sent at once must find one
			// conversation, not start one each: the one that starts it
			// holds the contact inbox, and the others, waiting for it,
			// look again and find it.
			if err = q.LockContactInbox(ctx, w.ContactInbox.ID); err != nil {
				return err
			}
			if !in.NewConversation {
				if err := current(); err != nil {
					return err
				}
			}
		}
		if in.NewConversation && in.PreChat != nil {
			p := in.PreChat
			if err := checkPreChat(w.Inbox, w.Contact, p); err != nil {
				return err
			}
			in.ConversationAttributes = p.ConversationAttributes
			if p.Name != nil || p.Email != nil || p.PhoneNumber != nil || len(p.ContactAttributes) > 0 {
				pin := PublicContactInput{ContactInput: ContactInput{Name: p.Name, Email: p.Email, PhoneNumber: p.PhoneNumber,
					CustomAttributes: editAttributes(w.Contact.CustomAttributes, p.ContactAttributes, nil)}}
				if err := a.updateIdentity(ctx, q, w.Inbox, w.ContactInbox, w.Contact, pin); err != nil {
					return err
				}
			}
		}
		if c == nil {
			// Counted once written: the function may run again (a
			// transaction after an optimistic try, a retry).
			if a.widgetConvs.full(w.ContactInbox.ID, a.now(), WidgetConversationsPerHour) {
				return &baton.Error{Code: baton.ERATELIMIT, Message: "Too many new conversations, try again later"}
			}
			ci := w.ContactInbox.ID
			q.AfterCommit(func() { a.widgetConvs.take(ci, a.now(), WidgetConversationsPerHour) })
			if c, err = a.newConversation(ctx, q, w.Inbox, w.Contact, w.ContactInbox, nil); err != nil {
				return err
			}
			c.AdditionalAttributes = orEmpty(in.Visit)
			c.CustomAttributes = editAttributes(nil, in.ConversationAttributes, nil)
			if err := additionalFit(c); err != nil {
				return err
			}
			if err := customFit(c); err != nil {
				return err
			}
			if err := a.createConversation(ctx, q, c, w.Inbox); err != nil {
				return err
			}
		}
		m = &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
			MessageType: baton.MessageIncoming, Content: in.Content, EchoID: in.EchoID,
			SenderType: baton.SenderContact, SenderID: w.Contact.ID, ContentAttributes: map[string]any{}}
		if in.ReplyTo != 0 {
			// replyTarget reads the id as JSON decoded it.
			m.ContentAttributes["in_reply_to"] = float64(in.ReplyTo)
		}
		return a.addMessage(ctx, q, w.actor(), c, m, files, k)
	})
	if err != nil {
		a.deleteFiles(files)
		return nil, err
	}
	a.rememberHeard(hint, k.heard)
	m.ConversationDisplayID = c.DisplayID
	m.Sender = &baton.Sender{Type: baton.SenderContact, Contact: w.Contact}
	return m, nil
}

// WidgetMessages lists the public messages of the visitor's latest
// conversation, oldest first, with the conversation: the newest 20 before
// the id before when it is set, or up to 100 after the id after (what a
// widget catching up after a reconnect asks); none, and no conversation,
// when they have none yet.
func (a *App) WidgetMessages(ctx context.Context, before, after int64) ([]*baton.Message, *baton.Conversation, error) {
	q := a.store.Read()
	w, err := a.widgetSession(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	c, err := q.LastConversationOf(ctx, w.ContactInbox.ID)
	if errors.Is(err, baton.ErrNotFound) {
		return []*baton.Message{}, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	f := store.MessageFilter{ConversationID: c.ID, Public: true, Before: before, After: after}
	if after > 0 {
		f.Limit = 100
	}
	ms, err := q.ListMessages(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	return ms, c, newLoader(q, a.liveSince()).messages(ctx, c, ms)
}

// WidgetAnswer records the visitor's answer to an interactive message. The
// message must be one of the visitor's own conversations: Chatwoot looks it
// up in the whole inbox, which lets any visitor answer anybody's question.
func (a *App) WidgetAnswer(ctx context.Context, messageID int64, ans Answer) (*baton.Message, error) {
	var m *baton.Message
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) error {
		w, err := a.widgetSession(ctx, q)
		if err != nil {
			return err
		}
		if m, err = q.FindInboxMessage(ctx, w.Inbox.ID, messageID); err != nil {
			return err
		}
		if c, err = q.FindConversationByID(ctx, m.ConversationID); err != nil {
			return err
		}
		if c.ContactInboxID != w.ContactInbox.ID || m.Private {
			return baton.ErrNotFound
		}
		c.Inbox, c.Contact, c.ContactInbox = w.Inbox, w.Contact, w.ContactInbox
		return a.answer(ctx, q, w.Contact, c, m, ans)
	})
	if err != nil {
		return nil, err
	}
	return m, a.loadMessage(ctx, c, m)
}
