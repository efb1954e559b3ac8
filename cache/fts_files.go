package cache

import (
	"context"
	"database/sql"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/posta-mail/posta/message"
)

// The body text of POP3 mail is not extracted while it is downloaded
// (issue 15: it was a sixth of `posta sync`'s CPU): the full-text
// catch-up reads it from the Maildir files of the messages it indexes
// that have no body text queued in fts_bodies. The files are read before
// the write transaction (fileTexts), so that a batch does not hold the
// write lock while it reads thousands of files; the transaction then
// queues the texts of the messages still above the mark (queueFileTexts)
// and indexes them as any queued body text. The messages after the last
// file read (stored meanwhile, or past fileTextBudget) are left for the
// next batch.

// fileCandidates selects the messages with ids in (?, ?] whose body text
// comes from their Maildir file: those with a file and no queued text.
const fileCandidates = `SELECT m.id, m.maildir_path FROM messages m
	WHERE m.id > ? AND m.id <= ? AND m.maildir_path != '' AND m.has_body = 1
		AND NOT EXISTS (SELECT 1 FROM fts_bodies b WHERE b.id = m.id)
	ORDER BY m.id`

// fileText is the body text read from a message's Maildir file, and the
// file (maildir_path) it was read from.
type fileText struct {
	rel  string
	text string
}

// queryer is what fileTexts and queueFileTexts query: the database, or
// a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// fileTextBudget bounds the body text one batch holds in memory: 5000
// messages of long text (a mailing list's archive) would hold more than
// a gigabyte. A batch that reaches it stops there; the next one reads on.
const fileTextBudget = 32 << 20

// fileChunk is how many files fileTexts reads between looks at the
// budget.
const fileChunk = 64

// fileTexts reads the body text of the candidates (fileCandidates) with
// ids in (upto, hi], outside any transaction, several files at a time
// (the work is the text extraction, CPU-bound), until fileTextBudget is
// reached. It returns the texts and the id up to which it read them:
// hi, or less when the budget ran out.
func (c *Cache) fileTexts(ctx context.Context, upto, hi int64) (texts map[int64]fileText, readUpto int64, err error) {
	ids, rels, err := candidates(ctx, c.db, upto, hi)
	if err != nil || len(ids) == 0 {
		return nil, hi, err
	}
	workers := min(runtime.GOMAXPROCS(0), 4)
	bufs := make([][]byte, workers)
	out := make([]string, fileChunk)
	texts = make(map[int64]fileText, len(ids))
	size := 0
	for start := 0; start < len(ids); start += fileChunk {
		if size >= fileTextBudget {
			return texts, ids[start-1], nil
		}
		n := min(fileChunk, len(ids)-start)
		var wg sync.WaitGroup
		for w := range min(workers, n) {
			wg.Go(func() {
				if bufs[w] == nil {
					bufs[w] = make([]byte, message.IndexTextBytes)
				}
				for i := w; i < n && ctx.Err() == nil; i += workers {
					out[i] = c.readFileText(rels[start+i], bufs[w])
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		for i, text := range out[:n] {
			texts[ids[start+i]] = fileText{rels[start+i], text}
			size += len(text)
		}
	}
	return texts, hi, nil
}

// queueFileTexts queues in fts_bodies, within tx, the body text of the
// candidates with ids in (upto, hi]: the text read by fileTexts, or,
// for a file renamed since (its flags changed, or it moved to another
// folder), the text of the file the row names now, read here.
func (c *Cache) queueFileTexts(ctx context.Context, tx *sql.Tx, upto, hi int64, read map[int64]fileText) error {
	ids, rels, err := candidates(ctx, tx, upto, hi)
	if err != nil {
		return err
	}
	args := make([]any, 0, 2*len(ids))
	var buf []byte
	for i, id := range ids {
		ft, ok := read[id]
		if !ok || ft.rel != rels[i] {
			if buf == nil {
				buf = make([]byte, message.IndexTextBytes)
			}
			ft.text = c.readFileText(rels[i], buf)
		}
		if ft.text != "" {
			args = append(args, id, ft.text)
		}
	}
	bodies := newMultiRow(tx, `INSERT INTO fts_bodies (id, body) VALUES `, 2, ``)
	bodies.keep = c
	defer bodies.close()
	for b, k := 0, 0; b < len(args)/2; b += k {
		k = partRows(len(args)/2 - b)
		s, err := bodies.stmt(k)
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, args[2*b:2*(b+k)]...); err != nil {
			return err
		}
	}
	return nil
}

// candidates returns the ids and Maildir paths fileCandidates selects.
func candidates(ctx context.Context, q queryer, upto, hi int64) (ids []int64, rels []string, err error) {
	rows, err := q.QueryContext(ctx, fileCandidates, upto, hi)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var rel string
		if err := rows.Scan(&id, &rel); err != nil {
			return nil, nil, err
		}
		ids, rels = append(ids, id), append(rels, rel)
	}
	return ids, rels, rows.Err()
}

// readFileText returns the body text for search of the Maildir file rel
// (a maildir_path), from its first message.IndexTextBytes, bounded and
// cleaned as IndexBody stores text; buf holds that many bytes. A file
// that is gone or cannot be read has no body text: its message is still
// indexed by its header.
func (c *Cache) readFileText(rel string, buf []byte) string {
	path, err := c.maildirFile(rel)
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return ""
	}
	return bodyIndexText(message.IndexText(buf[:n]))
}
