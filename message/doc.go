// Package message parses, renders and composes RFC 5322 messages.
//
// # Parsing and rendering
//
// [ParseHeader] extracts what the index needs from a message header.
// [Render] turns a whole message into sanitized text for the pager: it
// picks the best alternative, converts HTML to text, decodes transfer
// encodings and charsets, unwraps format=flowed, shows nested messages and
// lists attachments. Broken content never makes these fail: the result is
// best effort and the problems are reported as [Rendered.Warnings].
//
// # Reading real mail
//
// Mail in the wild breaks the RFCs in known ways, and both functions read
// it as its sender meant it: dates in obsolete syntax (zone names, two-digit
// years, comments), header sections with lines of white space or junk
// lines inside, field names followed by spaces, message ids with spaces,
// RFC 2047 words one charset run at a time (unknown charsets, split UTF-8,
// language tags, UTF-7), RFC 2231 parameters in any charset with
// continuations, address fields with comments or without brackets, HTML
// parts whose charset is only in a <meta> tag, base64 followed by a list
// footer, multiparts whose boundary is missing, and uuencoded files. What
// cannot be read is shown as it is rather than guessed. ParseHeader's
// fields are valid UTF-8 without control characters.
//
// Limits keep hostile input cheap: header fields are cut at 100 KB, the
// whole header block at 1 MiB, body text at [Options.MaxBodyBytes]
// (1 MiB by default), at most 10,000 MIME parts are walked and nesting
// stops at depth 20.
//
// # Composing
//
// [Draft] holds a message being written; [Draft.Build] produces the RFC 5322
// bytes to send (multipart/mixed when it has attachments) and
// [Draft.BuildDraft] the copy kept in a Drafts folder, which
// [DraftFromMessage] resumes. [ReplyDraft] starts a reply or reply-all,
// [ForwardDraft] a forward (inline or as message/rfc822), [ParseMailto] a
// message from a mailto URI. [Draft.EditorText] / [ParseEditorText] convert
// a draft to and from the text shown in $EDITOR, "Attach:" lines included.
package message
