/* lth.c - the LTH1 segmented AEAD file format; docs/FORMAT.md is the byte-exact specification.
 *
 * A file is a 104-byte header followed by N >= 1 segments:
 *
 *   0   "LTH1"  version(1)  suite(1)  seg_log2(1)  reserved(1, zero)
 *   8   object id (16)
 *   24  salt (32)                       fresh random per file
 *   56  key commitment (32)             HKDF-Expand(PRK, "LTH1 key commitment" || suite || id)
 *   88  header tag (16)                 GCM, nonce(0, HEADER), AAD = bytes 0..87, no plaintext
 *   104 segment 0 | segment 1 | ... | segment N-1
 *
 *   PRK = HKDF-Extract(salt, DEK); payload key = HKDF-Expand(PRK, "LTH1 payload key" || suite
 *   || id); segment i = AES-256-GCM(payload key, nonce(i, flag), AAD = the whole header,
 *   plaintext i) || tag, with nonce(i, flag) = 7 zero bytes || BE32(i) || flag, flag 0 for a
 *   regular segment, 1 for the final one, 2 for the header tag. Every segment holds
 *   S = 2^seg_log2 plaintext bytes except the final one (1..S bytes; 0 only when the whole
 *   plaintext is empty).
 *
 * The file size alone determines N and the length of every segment, so a reader can seek to
 * any segment; the final flag and the index in each nonce make truncation, extension,
 * reordering and duplication fail authentication, and the per-file key (fresh salt) and the
 * header in every segment's AAD make splicing across files fail.
 *
 * Work goes in batches of consecutive segments (~512 KiB): one read per batch, and for
 * encryption one hash update and one write. Large inputs are sealed and opened by worker
 * threads over a ring of batches while the calling thread reads the input (encryption), hashes
 * and writes the output in order, so memory is a few batches per thread and the output is
 * byte-identical to the single-threaded path.
 */
#include "crypt/lth.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypt/prim.h"
#include "crypt/prim_internal.h"
#include "crypt/secmem.h"

#define LTH_MAGIC     "LTH1"
#define LTH_MAGIC_LEN 4
#define LTH_VERSION   1
#define LTH_SUITE     1 /* AES-256-GCM, HKDF-SHA256, key commitment */

#define LTH_OFF_VERSION    4
#define LTH_OFF_SUITE      5
#define LTH_OFF_SEG_LOG2   6
#define LTH_OFF_RESERVED   7
#define LTH_OFF_OBJECT_ID  8
#define LTH_OFF_SALT       24
#define LTH_OFF_COMMITMENT 56
#define LTH_OFF_TAG        88
#define LTH_HEADER_LEN     104

#define LTH_TAG_LEN      16
#define LTH_FLAG_REGULAR 0x00
#define LTH_FLAG_FINAL   0x01
#define LTH_FLAG_HEADER  0x02
#define LTH_MAX_SEGMENTS (UINT64_C(1) << 32)

/* HKDF-Expand labels; the info is label || suite id || object id (docs/FORMAT.md). */
static const char lth_label_payload[] = "LTH1 payload key";
static const char lth_label_commitment[] = "LTH1 key commitment";
#define LTH_INFO_MAX (sizeof(lth_label_commitment) - 1 + 1 + LT_LTH_OBJECT_ID_LEN)

/*
 * Work is handed out in batches of segments (~512 KiB) so that system calls and hand-overs
 * between threads are amortized; threads pay off from two batches on (starting two workers
 * costs ~100 us, a batch ~100 us of AES-GCM).
 */
#ifndef LTH_BATCH_BYTES /* -D for tuning */
#define LTH_BATCH_BYTES ((size_t) 512 << 10)
#endif
#define LTH_PARALLEL_MIN_BYTES (UINT64_C(2) * LTH_BATCH_BYTES)
#define LTH_MAX_WORKERS        8

_Static_assert(LTH_OFF_TAG + LTH_TAG_LEN == LTH_HEADER_LEN, "header layout");
_Static_assert(LTH_OFF_COMMITMENT + LT_KEY_LEN == LTH_OFF_TAG, "header layout");

/* ---- keys ------------------------------------------------------------------------------- */

/* Lives in lt_secmem pages: locked, out of core dumps, wiped on free. */
struct lth_keys {
	uint8_t payload[LT_KEY_LEN];
	uint8_t commitment[LT_KEY_LEN];
};

static size_t lth_info(uint8_t info[LTH_INFO_MAX], const char *label,
		       const uint8_t object_id[LT_LTH_OBJECT_ID_LEN])
{
	size_t len = strlen(label);

	memcpy(info, label, len); /* NOLINT(bugprone-not-null-terminated-result): bytes, not text */
	info[len] = LTH_SUITE;
	memcpy(info + len + 1, object_id, LT_LTH_OBJECT_ID_LEN);
	return len + 1 + LT_LTH_OBJECT_ID_LEN;
}

/* PRK = HKDF-Extract(salt, DEK), then the two Expand outputs (lt_hkdf does both steps). */
static enum lethe_err lth_derive(const uint8_t dek[LT_KEY_LEN],
				 const uint8_t object_id[LT_LTH_OBJECT_ID_LEN],
				 const uint8_t salt[LT_LTH_SALT_LEN], struct lth_keys *keys)
{
	uint8_t info[LTH_INFO_MAX];
	size_t len;
	enum lethe_err rc;

	len = lth_info(info, lth_label_payload, object_id);
	rc = lt_hkdf(salt, LT_LTH_SALT_LEN, dek, LT_KEY_LEN, info, len, keys->payload, LT_KEY_LEN);
	if (rc != LETHE_OK)
		return rc;
	len = lth_info(info, lth_label_commitment, object_id);
	return lt_hkdf(salt, LT_LTH_SALT_LEN, dek, LT_KEY_LEN, info, len, keys->commitment,
		       LT_KEY_LEN);
}

/* ---- AES-256-GCM on a keyed context ----------------------------------------------------- */

static void lth_nonce(uint8_t nonce[LT_GCM_NONCE_LEN], uint64_t index, uint8_t flag)
{
	memset(nonce, 0, 7);
	nonce[7] = (uint8_t) (index >> 24);
	nonce[8] = (uint8_t) (index >> 16);
	nonce[9] = (uint8_t) (index >> 8);
	nonce[10] = (uint8_t) index;
	nonce[11] = flag;
}

/* A context keyed once; each segment then only sets its nonce. */
static enum lethe_err lth_ctx_new(const EVP_CIPHER *aes, const uint8_t key[LT_KEY_LEN], int enc,
				  EVP_CIPHER_CTX **out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	*out = NULL;
	lt_key_touch(key, LT_KEY_LEN);
	if (!ctx || EVP_CipherInit_ex(ctx, aes, NULL, key, NULL, enc) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return lt_crypto_fail("AES-256-GCM key setup");
	}
	*out = ctx;
	return LETHE_OK;
}

/*
 * Seal @p len bytes of @p buf in place under nonce(@p index, @p flag) with @p aad, and put the
 * tag at buf + len.
 */
static enum lethe_err lth_seal(EVP_CIPHER_CTX *ctx, uint64_t index, uint8_t flag,
			       const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len)
{
	uint8_t nonce[LT_GCM_NONCE_LEN];
	int outl = 0;

	lth_nonce(nonce, index, flag);
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, (int) aad_len) != 1 ||
	    (len > 0 && EVP_CipherUpdate(ctx, buf, &outl, buf, (int) len) != 1) ||
	    EVP_CipherFinal_ex(ctx, buf + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, LTH_TAG_LEN, buf + len) != 1)
		return lt_crypto_fail("AES-256-GCM seal");
	return LETHE_OK;
}

/*
 * Open the @p len bytes at @p in (tag at in + len) into @p out, which may be @p in itself. *ok
 * is 1 when the tag verified; when it did not, the unverified plaintext is wiped and *ok is 0
 * (no error recorded: the caller knows what the segment was and says so).
 */
static enum lethe_err lth_open_to(EVP_CIPHER_CTX *ctx, uint64_t index, uint8_t flag,
				  const uint8_t *aad, size_t aad_len, uint8_t *in, uint8_t *out,
				  size_t len, int *ok)
{
	uint8_t nonce[LT_GCM_NONCE_LEN];
	uint8_t none[16];
	int outl = 0;

	*ok = 0;
	lth_nonce(nonce, index, flag);
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, LTH_TAG_LEN, in + len) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, (int) aad_len) != 1 ||
	    (len > 0 && EVP_CipherUpdate(ctx, out, &outl, in, (int) len) != 1))
		return lt_crypto_fail("AES-256-GCM open");
	ERR_clear_error();
	if (EVP_CipherFinal_ex(ctx, none, &outl) == 1) {
		*ok = 1;
		return LETHE_OK;
	}
	if (len > 0)
		OPENSSL_cleanse(out, len);
	/* A segment that does not verify leaves nothing on the error queue; a failure of
	 * OpenSSL itself is no evidence of tampering. */
	return lt_crypto_failed_itself("AES-256-GCM open");
}

/* lth_open_to() in place. */
static enum lethe_err lth_open(EVP_CIPHER_CTX *ctx, uint64_t index, uint8_t flag,
			       const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
			       int *ok)
{
	return lth_open_to(ctx, index, flag, aad, aad_len, buf, buf, len, ok);
}

/* ---- header ----------------------------------------------------------------------------- */

/* The header without its tag; the tag is lth_seal() of nothing with these bytes as AAD. */
static void lth_header_build(uint8_t h[LTH_HEADER_LEN], unsigned seg_log2,
			     const uint8_t object_id[LT_LTH_OBJECT_ID_LEN],
			     const uint8_t salt[LT_LTH_SALT_LEN],
			     const uint8_t commitment[LT_KEY_LEN])
{
	memset(h, 0, LTH_HEADER_LEN);
	memcpy(h, LTH_MAGIC, LTH_MAGIC_LEN);
	h[LTH_OFF_VERSION] = LTH_VERSION;
	h[LTH_OFF_SUITE] = LTH_SUITE;
	h[LTH_OFF_SEG_LOG2] = (uint8_t) seg_log2;
	h[LTH_OFF_RESERVED] = 0;
	memcpy(h + LTH_OFF_OBJECT_ID, object_id, LT_LTH_OBJECT_ID_LEN);
	memcpy(h + LTH_OFF_SALT, salt, LT_LTH_SALT_LEN);
	memcpy(h + LTH_OFF_COMMITMENT, commitment, LT_KEY_LEN);
}

/*
 * Bounds-check a header read from a file (@p got bytes of it) before anything is derived or
 * allocated from it. Every field is checked against the one value or range this version knows.
 */
static enum lethe_err lth_header_parse(const uint8_t *h, size_t got)
{
	if (got < LTH_MAGIC_LEN || memcmp(h, LTH_MAGIC, LTH_MAGIC_LEN) != 0)
		return lt_err(LETHE_ERR_INTEGRITY, "not an LTH1 file (bad magic)");
	if (got < LTH_HEADER_LEN)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "file truncated inside the header (%zu of %d bytes)", got,
			      LTH_HEADER_LEN);
	if (h[LTH_OFF_VERSION] != LTH_VERSION)
		return lt_err(LETHE_ERR_INTEGRITY, "unsupported LTH1 version %u",
			      h[LTH_OFF_VERSION]);
	if (h[LTH_OFF_SUITE] != LTH_SUITE)
		return lt_err(LETHE_ERR_INTEGRITY, "unsupported LTH1 suite %u", h[LTH_OFF_SUITE]);
	if (h[LTH_OFF_SEG_LOG2] < LT_LTH_SEG_LOG2_MIN || h[LTH_OFF_SEG_LOG2] > LT_LTH_SEG_LOG2_MAX)
		return lt_err(LETHE_ERR_INTEGRITY, "segment size 2^%u out of range (2^%d..2^%d)",
			      h[LTH_OFF_SEG_LOG2], LT_LTH_SEG_LOG2_MIN, LT_LTH_SEG_LOG2_MAX);
	if (h[LTH_OFF_RESERVED] != 0)
		return lt_err(LETHE_ERR_INTEGRITY, "reserved header byte is 0x%02x, not zero",
			      h[LTH_OFF_RESERVED]);
	return LETHE_OK;
}

static enum lethe_err lth_header_read(const struct lt_bytesrc *src, uint8_t h[LTH_HEADER_LEN])
{
	size_t got = 0;
	enum lethe_err rc;

	rc = src->read_at(src->ctx, h, LTH_HEADER_LEN, 0, &got);
	if (rc != LETHE_OK)
		return rc;
	return lth_header_parse(h, got);
}

/* ---- geometry --------------------------------------------------------------------------- */

/* Where every segment is, as claimed by the file size (trusted once the final one verifies). */
struct lth_layout {
	size_t seg_size;         /* S: plaintext bytes of every segment but the final one */
	uint64_t stride;         /* S + tag: ciphertext bytes of a full segment */
	uint64_t segments;       /* N >= 1 */
	size_t last_len;         /* plaintext bytes of segment N-1 */
	uint64_t plaintext_size; /* (N-1) * S + last_len */
};

static uint64_t lth_seg_pos(const struct lth_layout *l, uint64_t index)
{
	return LTH_HEADER_LEN + index * l->stride;
}

static size_t lth_seg_len(const struct lth_layout *l, uint64_t index)
{
	return index == l->segments - 1 ? l->last_len : l->seg_size;
}

/*
 * Fit @p file_size to the segment layout. Returns LETHE_OK with @p l filled, or an integrity
 * error naming what does not fit. @p full_out receives the number of whole segments before the
 * bytes that do not fit (for lth_diagnose_tail()).
 */
static enum lethe_err lth_layout_fit(uint64_t file_size, unsigned seg_log2, struct lth_layout *l,
				     uint64_t *full_out)
{
	uint64_t body, full, rest;

	memset(l, 0, sizeof(*l));
	l->seg_size = (size_t) 1 << seg_log2;
	l->stride = l->seg_size + LTH_TAG_LEN;
	body = file_size - LTH_HEADER_LEN; /* the caller read a whole header */
	full = body / l->stride;
	rest = body % l->stride;
	*full_out = full;
	if (body == 0)
		return lt_err(LETHE_ERR_INTEGRITY, "file truncated after the header (no segment)");
	if (rest > 0 && rest < LTH_TAG_LEN && full == 0)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "file truncated: %llu bytes after the header, shorter than a tag",
			      (unsigned long long) rest);
	if (rest > 0 && rest < LTH_TAG_LEN)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "file truncated or extended: %llu bytes after segment %llu, "
			      "shorter than a tag",
			      (unsigned long long) rest, (unsigned long long) full - 1);
	if (rest == LTH_TAG_LEN && full > 0)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "empty final segment after segment %llu (only an empty file has one)",
			      (unsigned long long) full - 1);
	l->segments = full + (rest > 0);
	if (l->segments > LTH_MAX_SEGMENTS)
		return lt_err(LETHE_ERR_INTEGRITY, "file longer than 2^32 segments");
	l->last_len = rest > 0 ? (size_t) (rest - LTH_TAG_LEN) : l->seg_size;
	l->plaintext_size = (l->segments - 1) * l->seg_size + l->last_len;
	return LETHE_OK;
}

/* ---- batches ---------------------------------------------------------------------------- */

/*
 * Consecutive segments in one buffer, segment j at buf + j * stride with its tag right after
 * its plaintext: once sealed, the buffer holds exactly the file's bytes for those segments, so
 * a batch is read with one pread, or hashed and written with one call.
 */
struct lth_batch {
	uint8_t *buf;
	uint64_t first;  /* index of its first segment */
	size_t count;    /* segments in it (>= 1) */
	size_t last_len; /* plaintext bytes of its last segment; the others are full */
	int final;       /* its last segment is the file's final one */
	size_t verified; /* decryption: leading segments that verified */
};

/* Segments per batch: enough work (~512 KiB) to amortize a system call or a hand-over. */
static size_t lth_batch_segments(size_t seg_size)
{
	assert(seg_size > 0);
	return seg_size >= LTH_BATCH_BYTES ? 1 : LTH_BATCH_BYTES / seg_size;
}

/* Bytes of a sealed batch: whole segments, then the last one. */
static size_t lth_batch_bytes(const struct lth_batch *b, size_t seg_size)
{
	return (b->count - 1) * (seg_size + LTH_TAG_LEN) + b->last_len + LTH_TAG_LEN;
}

static uint8_t *lth_buf_new(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, len) != 0)
		return NULL;
	return p;
}

/* Batch buffers held plaintext: wipe them before they go back to the heap. */
static void lth_buf_free(uint8_t *buf, size_t len)
{
	if (!buf)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

/* ---- reading and verifying segments ----------------------------------------------------- */

struct lth_reader {
	const struct lt_bytesrc *src;
	uint8_t header[LTH_HEADER_LEN]; /* verified; the AAD of every segment */
	struct lth_layout layout;
	const EVP_CIPHER *aes;
	const struct lth_keys *keys;
};

/* Read the ciphertext of segment @p index (@p pt_len plaintext bytes and the tag) into @p buf. */
static enum lethe_err lth_read_raw(const struct lth_reader *r, uint64_t index, size_t pt_len,
				   uint8_t *buf)
{
	size_t got = 0;
	enum lethe_err rc;

	rc = r->src->read_at(r->src->ctx, buf, pt_len + LTH_TAG_LEN, lth_seg_pos(&r->layout, index),
			     &got);
	if (rc != LETHE_OK)
		return rc;
	if (got != pt_len + LTH_TAG_LEN)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "file truncated while reading segment %llu (it changed size)",
			      (unsigned long long) index);
	return LETHE_OK;
}

/* 1 if the full-length segment @p index verifies under @p flag; its plaintext is wiped. */
static int lth_verifies_as(const struct lth_reader *r, EVP_CIPHER_CTX *ctx, uint64_t index,
			   uint8_t flag, uint8_t *buf)
{
	int ok = 0;

	if (index >= LTH_MAX_SEGMENTS ||
	    lth_read_raw(r, index, r->layout.seg_size, buf) != LETHE_OK ||
	    lth_open(ctx, index, flag, r->header, LTH_HEADER_LEN, buf, r->layout.seg_size, &ok) !=
		LETHE_OK)
		ok = 0;
	OPENSSL_cleanse(buf, r->layout.seg_size);
	lt_err_clear();
	return ok;
}

/*
 * Segment @p index failed to verify as what its position says it is. Only the detail depends
 * on what follows: a full segment at the last position that verifies as a regular one means the
 * file was cut at a segment boundary; a segment that verifies as the final one although more
 * follows means bytes were appended after the real end. @p buf holds S + tag bytes.
 */
static enum lethe_err lth_diagnose(const struct lth_reader *r, EVP_CIPHER_CTX *ctx, uint64_t index,
				   uint8_t *buf)
{
	const struct lth_layout *l = &r->layout;
	unsigned long long i = index;

	if (index < l->segments - 1) {
		if (lth_verifies_as(r, ctx, index, LTH_FLAG_FINAL, buf))
			return lt_err(LETHE_ERR_INTEGRITY,
				      "trailing data after the final segment %llu", i);
		return lt_err(LETHE_ERR_INTEGRITY, "segment %llu failed authentication", i);
	}
	if (l->last_len == l->seg_size && lth_verifies_as(r, ctx, index, LTH_FLAG_REGULAR, buf))
		return lt_err(LETHE_ERR_INTEGRITY, "file truncated after segment %llu", i);
	if (index > 0 && lth_verifies_as(r, ctx, index - 1, LTH_FLAG_FINAL, buf))
		return lt_err(LETHE_ERR_INTEGRITY, "trailing data after the final segment %llu",
			      i - 1);
	return lt_err(LETHE_ERR_INTEGRITY,
		      "final segment %llu failed authentication (truncated, extended or modified)",
		      i);
}

/*
 * The file size does not fit the layout (lth_layout_fit() recorded why). When the whole
 * segment before the misfit verifies as the final one, the real story is appended bytes.
 */
static enum lethe_err lth_diagnose_tail(struct lth_reader *r, EVP_CIPHER_CTX *ctx, uint64_t full)
{
	struct lt_err_saved detail;
	uint8_t *buf;
	int appended;

	lt_err_save(&detail);
	if (full == 0 || full > LTH_MAX_SEGMENTS)
		return lt_err_restore(&detail, LETHE_ERR_INTEGRITY);
	buf = lth_buf_new(r->layout.stride);
	if (!buf)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for a segment buffer");
	r->layout.segments = full + 1; /* lets lth_verifies_as() address segment full - 1 */
	appended = lth_verifies_as(r, ctx, full - 1, LTH_FLAG_FINAL, buf);
	lth_buf_free(buf, r->layout.stride);
	if (appended)
		return lt_err(LETHE_ERR_INTEGRITY, "trailing data after the final segment %llu",
			      (unsigned long long) full - 1);
	return lt_err_restore(&detail, LETHE_ERR_INTEGRITY);
}

/*
 * Read the segments of batch @p b with one pread and verify them in order, in place. On
 * return b->verified leading segments hold verified plaintext; the failure, if any, is that of
 * the next one, and no unverified byte of it is left in the buffer. With @p scratch (one
 * segment's plaintext), each segment is opened into it instead: the batch keeps the file's
 * bytes, to be hashed, and the plaintext goes nowhere.
 */
static enum lethe_err lth_open_batch(const struct lth_reader *r, EVP_CIPHER_CTX *ctx,
				     struct lth_batch *b, uint8_t *scratch)
{
	const struct lth_layout *l = &r->layout;
	uint64_t last = b->first + b->count - 1;
	size_t want = (size_t) ((b->count - 1) * l->stride) + lth_seg_len(l, last) + LTH_TAG_LEN;
	size_t got = 0, j;
	enum lethe_err rc;

	b->verified = 0;
	rc = r->src->read_at(r->src->ctx, b->buf, want, lth_seg_pos(l, b->first), &got);
	if (rc != LETHE_OK)
		return rc;
	for (j = 0; j < b->count; j++) {
		uint64_t index = b->first + j;
		size_t len = lth_seg_len(l, index);
		uint8_t *seg = b->buf + j * l->stride;
		uint8_t flag = index == l->segments - 1 ? LTH_FLAG_FINAL : LTH_FLAG_REGULAR;
		int ok = 0;

		if (got < j * l->stride + len + LTH_TAG_LEN)
			return lt_err(LETHE_ERR_INTEGRITY,
				      "file truncated while reading segment %llu (it changed size)",
				      (unsigned long long) index);
		rc = lth_open_to(ctx, index, flag, r->header, LTH_HEADER_LEN, seg,
				 scratch ? scratch : seg, len, &ok);
		if (rc != LETHE_OK)
			return rc;
		if (!ok)
			return lth_diagnose(r, ctx, index, seg);
		b->verified++;
	}
	return LETHE_OK;
}

/* ---- the plaintext source of an encryption ---------------------------------------------- */

/*
 * Reads the input to its end. A full segment is final when nothing follows it, which on a pipe
 * can only be learnt by reading on: at the end of a batch the source reads one byte ahead and
 * keeps it for the next segment.
 */
struct lth_source {
	int fd;
	size_t seg_size;
	uint64_t next_index; /* index of the next segment to read */
	uint64_t total;      /* plaintext bytes read */
	uint8_t peek;        /* the first byte of the next segment, when have_peek */
	int have_peek;
};

/* Read up to one segment into @p dst; *len < S only at the end of the input. */
static enum lethe_err lth_source_segment(struct lth_source *src, uint8_t *dst, size_t *len)
{
	size_t off = 0, got = 0;
	enum lethe_err rc;

	if (src->have_peek) {
		dst[0] = src->peek;
		src->have_peek = 0;
		off = 1;
	}
	rc = lt_read_full(src->fd, dst + off, src->seg_size - off, &got);
	*len = off + got;
	return rc;
}

/* Fill batch @p b (room for @p room segments) with the next segments of the input. */
static enum lethe_err lth_source_fill(struct lth_source *src, struct lth_batch *b, size_t room)
{
	size_t stride = src->seg_size + LTH_TAG_LEN;
	size_t len = 0, got = 0;
	enum lethe_err rc;

	b->first = src->next_index;
	b->count = 0;
	b->final = 0;
	while (b->count < room) {
		rc = lth_source_segment(src, b->buf + b->count * stride, &len);
		if (rc != LETHE_OK)
			return rc;
		/* Nothing more after a full segment: that one was the final one. */
		if (len == 0 && b->count > 0) {
			b->final = 1;
			break;
		}
		b->count++;
		b->last_len = len;
		src->total += len;
		/* A short segment is the end; an empty one only when the whole input is empty. */
		if (len < src->seg_size) {
			b->final = 1;
			break;
		}
	}
	if (!b->final) {
		rc = lt_read_full(src->fd, &src->peek, 1, &got);
		if (rc != LETHE_OK)
			return rc;
		b->final = got == 0;
		src->have_peek = got == 1;
	}
	src->next_index += b->count;
	/* Indexes are 32 bits: the final segment may be number 2^32 - 1, none may follow it. */
	if (src->next_index > LTH_MAX_SEGMENTS ||
	    (!b->final && src->next_index == LTH_MAX_SEGMENTS))
		return lt_err(LETHE_ERR_INVALID,
			      "input too large for LTH1 (more than 2^32 segments)");
	return LETHE_OK;
}

/* Seal every segment of @p b in place. */
static enum lethe_err lth_seal_batch(EVP_CIPHER_CTX *ctx, const uint8_t *header, size_t seg_size,
				     struct lth_batch *b)
{
	size_t stride = seg_size + LTH_TAG_LEN;
	enum lethe_err rc = LETHE_OK;
	size_t j;

	for (j = 0; rc == LETHE_OK && j < b->count; j++) {
		int last = j == b->count - 1;
		uint8_t flag = last && b->final ? LTH_FLAG_FINAL : LTH_FLAG_REGULAR;

		rc = lth_seal(ctx, b->first + j, flag, header, LTH_HEADER_LEN, b->buf + j * stride,
			      last ? b->last_len : seg_size);
	}
	return rc;
}

/* ---- output ----------------------------------------------------------------------------- */

/* The ciphertext side of an encryption: every byte written is hashed first. */
struct lth_writer {
	int fd;
	EVP_MD_CTX *sha;
	uint64_t written;
	lt_lth_read_fn on_write; /* progress: each batch's bytes once written (may be NULL) */
	void *on_write_ctx;
};

static enum lethe_err lth_emit(struct lth_writer *w, const uint8_t *buf, size_t len)
{
	enum lethe_err rc;

	if (EVP_DigestUpdate(w->sha, buf, len) != 1)
		return lt_crypto_fail("SHA-256 of the ciphertext");
	rc = lt_write_all(w->fd, buf, len);
	if (rc == LETHE_OK)
		w->written += len;
	return rc;
}

/* Write out sealed batch @p b, and report it to the writer's progress callback. */
static enum lethe_err lth_emit_batch(struct lth_writer *w, const struct lth_batch *b,
				     size_t seg_size)
{
	size_t len = lth_batch_bytes(b, seg_size);
	enum lethe_err rc = lth_emit(w, b->buf, len);

	if (rc == LETHE_OK && w->on_write && b->count > 0)
		w->on_write(len, (uint64_t) (b->count - 1) * seg_size + b->last_len,
			    w->on_write_ctx);
	return rc;
}

/* The plaintext side of a decryption: the bytes [begin, end) of the plaintext go out. */
struct lth_range {
	uint64_t first, last; /* covering segments, inclusive */
	uint64_t begin, end;  /* plaintext bytes to write */
};

/*
 * Write the part of the range in the verified segments of @p b. *written counts whole writes:
 * a failed write may have gone out in part.
 */
static enum lethe_err lth_write_verified(int fd, const struct lth_range *range,
					 const struct lth_layout *l, const struct lth_batch *b,
					 uint64_t *written)
{
	size_t j;

	if (fd < 0)
		return LETHE_OK;
	for (j = 0; j < b->verified; j++) {
		uint64_t index = b->first + j;
		uint64_t start = index * l->seg_size;
		uint64_t stop = start + lth_seg_len(l, index);
		uint64_t from = range->begin > start ? range->begin : start;
		uint64_t to = range->end < stop ? range->end : stop;
		enum lethe_err rc;

		if (from >= to)
			continue;
		rc =
		    lt_write_all(fd, b->buf + j * l->stride + (from - start), (size_t) (to - from));
		if (rc != LETHE_OK)
			return rc;
		*written += to - from;
	}
	return LETHE_OK;
}

/* ---- worker threads --------------------------------------------------------------------- */

/*
 * A ring of batches shared by the calling thread and the workers. Sequence numbers 0, 1, 2...
 * name the batches of a job in order; seq lives in slots[seq % nslots]. A worker claims the
 * next seq, fills its slot (decryption: pread; encryption: the next batch of the input, one
 * reader at a time so that the input is read in order), seals or opens it and marks it done;
 * the calling thread writes done slots out in order and releases them. Decryption knows its
 * batches up front and publishes them as slots are released; encryption claims while the ring
 * has room and until the input ends. Invariant: released <= claimed <= released + nslots.
 */
enum lth_slot_state { LTH_SLOT_FREE, LTH_SLOT_DONE };

struct lth_slot {
	struct lth_batch batch;
	enum lth_slot_state state;
	enum lethe_err rc;
	struct lt_err_saved detail; /* the worker's error detail (details are per thread) */
};

struct lth_pool;

struct lth_worker {
	struct lth_pool *pool;
	EVP_CIPHER_CTX *ctx; /* keyed once, its own */
	uint8_t *scratch;    /* verification: one segment's plaintext, else NULL */
	pthread_t thread;
};

struct lth_pool {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a counter or a slot changed */
	struct lth_slot *slots;
	unsigned nslots;
	struct lth_worker *workers;
	unsigned nctx;     /* workers with a context */
	unsigned nworkers; /* workers started */
	size_t buf_len;
	size_t scratch_len;
	void *(*thread_main)(void *); /* lth_worker_open() or lth_worker_seal() */
	const void *job;
	uint64_t published; /* decryption: seqs a worker may claim */
	uint64_t claimed;
	uint64_t released;
	int closed;  /* nothing more to claim: all published, or the input has ended */
	int reading; /* encryption: a worker is reading the input */
	int stop;    /* a failure: workers leave */
	int sync_ready;
};

/* Record the outcome of a worker's slot (its detail is per thread: copy it) and hand it on. */
static void lth_slot_done(struct lth_pool *p, struct lth_slot *slot, enum lethe_err rc)
{
	if (rc != LETHE_OK)
		lt_err_save(&slot->detail);
	pthread_mutex_lock(&p->lock);
	slot->rc = rc;
	slot->state = LTH_SLOT_DONE;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Tell the workers to leave (after a failure, or because the job is complete) and join them. */
static void lth_pool_join(struct lth_pool *p, int stop)
{
	unsigned i;

	if (!p->sync_ready)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop |= stop;
	p->closed = 1;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i].thread, NULL);
	p->nworkers = 0;
}

static void lth_pool_destroy(struct lth_pool *p)
{
	unsigned i;

	lth_pool_join(p, 1);
	if (p->workers) {
		for (i = 0; i < p->nctx; i++)
			EVP_CIPHER_CTX_free(p->workers[i].ctx); /* cleanses the key schedule */
		for (i = 0; i < p->nctx; i++)
			lth_buf_free(p->workers[i].scratch, p->scratch_len);
		free(p->workers);
	}
	if (p->slots) {
		for (i = 0; i < p->nslots; i++)
			lth_buf_free(p->slots[i].batch.buf, p->buf_len);
		free(p->slots);
	}
	if (p->sync_ready) {
		pthread_cond_destroy(&p->changed);
		pthread_mutex_destroy(&p->lock);
	}
}

/* Start worker threads with every signal blocked: signals belong to the caller's threads. */
static void lth_pool_spawn(struct lth_pool *p, unsigned want)
{
	sigset_t all, old;
	unsigned i;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < want; i++) {
		if (pthread_create(&p->workers[i].thread, NULL, p->thread_main, &p->workers[i]) !=
		    0)
			break;
		p->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Set up a pool of @p want workers, each with its own context keyed with @p key (and a scratch
 * buffer of @p scratch_len bytes when not 0), and two batch buffers of @p buf_len bytes per
 * worker (one being worked on, one waiting to be written). Succeeds with p->nworkers == 0 when
 * no thread could be started: the caller then works alone. lth_pool_destroy() cleans up after
 * success and failure alike.
 */
static enum lethe_err lth_pool_start(struct lth_pool *p, unsigned want, size_t buf_len,
				     size_t scratch_len, const EVP_CIPHER *aes,
				     const uint8_t key[LT_KEY_LEN], int enc,
				     void *(*thread_main)(void *), const void *job)
{
	enum lethe_err rc;
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->nslots = 2 * want;
	p->buf_len = buf_len;
	p->scratch_len = scratch_len;
	p->thread_main = thread_main;
	p->job = job;
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		return lt_err(LETHE_ERR_INTERNAL, "pthread_mutex_init failed");
	if (pthread_cond_init(&p->changed, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		return lt_err(LETHE_ERR_INTERNAL, "pthread_cond_init failed");
	}
	p->sync_ready = 1;
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	p->workers = calloc(want, sizeof(*p->workers));
	if (!p->slots || !p->workers)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for the worker pool");
	for (i = 0; i < p->nslots; i++) {
		p->slots[i].batch.buf = lth_buf_new(buf_len);
		if (!p->slots[i].batch.buf)
			return lt_err(LETHE_ERR_NOMEM, "out of memory for segment buffers");
	}
	for (i = 0; i < want; i++) {
		p->workers[i].pool = p;
		rc = lth_ctx_new(aes, key, enc, &p->workers[i].ctx);
		if (rc != LETHE_OK)
			return rc;
		p->nctx++;
		if (scratch_len && !(p->workers[i].scratch = lth_buf_new(scratch_len)))
			return lt_err(LETHE_ERR_NOMEM, "out of memory for segment buffers");
	}
	lth_pool_spawn(p, want);
	return LETHE_OK;
}

/* Wait until slot @p seq is done (the caller holds no lock). */
static struct lth_slot *lth_pool_wait_done(struct lth_pool *p, uint64_t seq)
{
	struct lth_slot *slot = &p->slots[seq % p->nslots];

	pthread_mutex_lock(&p->lock);
	while (slot->state != LTH_SLOT_DONE)
		pthread_cond_wait(&p->changed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return slot;
}

/*
 * Hand @p slot back to the ring after writing it out. For a decryption, whose @p total batches
 * are known up front, this also publishes the next one (0 for an encryption, whose workers
 * claim while the ring has room).
 */
static void lth_pool_release(struct lth_pool *p, struct lth_slot *slot, uint64_t total)
{
	pthread_mutex_lock(&p->lock);
	slot->state = LTH_SLOT_FREE;
	p->released++;
	if (total && p->published < total) {
		p->published++;
		p->closed = p->published == total;
	}
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Re-record a worker's failure in this thread. */
static enum lethe_err lth_slot_error(const struct lth_slot *slot)
{
	return lt_err_restore(&slot->detail, slot->rc);
}

/*
 * How many threads for a job of @p bytes bytes (UINT64_MAX when not known, as for a pipe).
 * 1 means the calling thread alone.
 */
static unsigned lth_thread_count(unsigned threads, uint64_t bytes)
{
	long cpus;

	if (threads == 1 || bytes < LTH_PARALLEL_MIN_BYTES)
		return 1;
	if (threads == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		return cpus >= 2 ? 2 : 1;
	}
	return threads > LTH_MAX_WORKERS ? LTH_MAX_WORKERS : threads;
}

/* ---- encryption ------------------------------------------------------------------------- */

struct lth_seal_job {
	const uint8_t *header;
	struct lth_source *src; /* read by one worker at a time, under the pool's "reading" */
	size_t room;            /* segments per batch */
};

/*
 * Encryption worker: claim the next slot while the ring has room, fill it with the next batch
 * of the input (one reader at a time, so batches are read in order), then seal it, in parallel
 * with the other workers' sealing and the calling thread's hashing and writing.
 */
static void *lth_worker_seal(void *arg)
{
	struct lth_worker *w = arg;
	struct lth_pool *p = w->pool;
	const struct lth_seal_job *j = p->job;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct lth_slot *slot;
		enum lethe_err rc;

		while (!p->stop && !p->closed &&
		       (p->reading || p->claimed == p->released + p->nslots))
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop || p->closed)
			break;
		slot = &p->slots[p->claimed++ % p->nslots];
		p->reading = 1;
		pthread_mutex_unlock(&p->lock);

		rc = lth_source_fill(j->src, &slot->batch, j->room);

		pthread_mutex_lock(&p->lock);
		p->reading = 0;
		/* After the final batch, or a failed read, there is nothing more to claim. */
		p->closed = rc != LETHE_OK || slot->batch.final;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);

		if (rc == LETHE_OK)
			rc = lth_seal_batch(w->ctx, j->header, j->src->seg_size, &slot->batch);
		lth_slot_done(p, slot, rc);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * Workers read and seal; the calling thread hashes and writes in order (SHA-256 costs more than
 * AES-GCM, so hashing overlaps with the workers' sealing). @p nthreads >= 2 counts the calling
 * thread. *alone is set when no worker could be started: nothing was done then.
 */
static enum lethe_err lth_encrypt_parallel(const EVP_CIPHER *aes, const struct lth_keys *keys,
					   const uint8_t *header, struct lth_source *src,
					   unsigned nthreads, struct lth_writer *w, int *alone)
{
	struct lth_seal_job job = {header, src, lth_batch_segments(src->seg_size)};
	struct lth_pool pool;
	struct lth_slot *slot;
	enum lethe_err rc;
	uint64_t seq;
	int final = 0;

	*alone = 0;
	/*
	 * Hashing keeps the calling thread busy full time: it counts as one of the @p nthreads.
	 * On two CPUs, one worker (read and seal) beside it beats two that would take turns.
	 */
	rc = lth_pool_start(&pool, nthreads - 1, job.room * (src->seg_size + LTH_TAG_LEN), 0, aes,
			    keys->payload, 1, lth_worker_seal, &job);
	if (rc == LETHE_OK && pool.nworkers == 0) {
		*alone = 1;
		goto out;
	}
	/* Every seq up to the final batch (or a failed read) is claimed and marked done. */
	for (seq = 0; rc == LETHE_OK && !final; seq++) {
		slot = lth_pool_wait_done(&pool, seq);
		if (slot->rc != LETHE_OK) {
			rc = lth_slot_error(slot);
			break;
		}
		rc = lth_emit_batch(w, &slot->batch, src->seg_size);
		final = slot->batch.final;
		lth_pool_release(&pool, slot, 0);
	}
out:
	lth_pool_destroy(&pool);
	return rc;
}

/*
 * Everything after the header. The first batch is done here before deciding on threads: most
 * objects fit in one, and then starting workers is pure cost (the size of an input that comes
 * from a pipe is not known beforehand).
 */
static enum lethe_err lth_encrypt_body(const EVP_CIPHER *aes, const struct lth_keys *keys,
				       EVP_CIPHER_CTX *ctx, const uint8_t *header,
				       struct lth_source *src, unsigned nthreads,
				       struct lth_writer *w)
{
	size_t room = lth_batch_segments(src->seg_size);
	size_t buf_len = room * (src->seg_size + LTH_TAG_LEN);
	struct lth_batch b = {0};
	enum lethe_err rc;
	int alone = 1;

	b.buf = lth_buf_new(buf_len);
	if (!b.buf)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for segment buffers");
	do {
		rc = lth_source_fill(src, &b, room);
		if (rc == LETHE_OK)
			rc = lth_seal_batch(ctx, header, src->seg_size, &b);
		if (rc == LETHE_OK)
			rc = lth_emit_batch(w, &b, src->seg_size);
		if (rc == LETHE_OK && !b.final && nthreads > 1) {
			rc = lth_encrypt_parallel(aes, keys, header, src, nthreads, w, &alone);
			nthreads = 1; /* done, or no thread could be started: go on alone */
		}
	} while (rc == LETHE_OK && alone && !b.final);
	lth_buf_free(b.buf, buf_len);
	return rc;
}

/* The size of the input when it is a regular file, else UINT64_MAX (a pipe: not known). */
static uint64_t lth_input_size(int fd)
{
	struct stat st;
	off_t pos;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return UINT64_MAX;
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0 || pos > st.st_size)
		return UINT64_MAX;
	return (uint64_t) (st.st_size - pos);
}

/* Build and seal the header, and write it out. */
static enum lethe_err lth_header_emit(EVP_CIPHER_CTX *ctx, const struct lth_keys *keys,
				      unsigned seg_log2,
				      const uint8_t object_id[LT_LTH_OBJECT_ID_LEN],
				      const uint8_t salt[LT_LTH_SALT_LEN],
				      uint8_t header[LTH_HEADER_LEN], struct lth_writer *w)
{
	enum lethe_err rc;

	lth_header_build(header, seg_log2, object_id, salt, keys->commitment);
	/* No plaintext: the tag is written at header + LTH_OFF_TAG. */
	rc = lth_seal(ctx, 0, LTH_FLAG_HEADER, header, LTH_OFF_TAG, header + LTH_OFF_TAG, 0);
	if (rc != LETHE_OK)
		return rc;
	return lth_emit(w, header, LTH_HEADER_LEN);
}

static enum lethe_err lth_encrypt(const uint8_t dek[LT_KEY_LEN],
				  const uint8_t object_id[LT_LTH_OBJECT_ID_LEN], unsigned seg_log2,
				  const uint8_t salt[LT_LTH_SALT_LEN], int in_fd, int out_fd,
				  unsigned threads, lt_lth_read_fn on_write, void *on_write_ctx,
				  struct lt_lth_info *info)
{
	struct lth_writer w = {out_fd, NULL, 0, on_write, on_write_ctx};
	struct lth_source src = {0};
	struct lth_keys *keys = NULL;
	EVP_CIPHER *aes = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t header[LTH_HEADER_LEN];
	unsigned nthreads;
	enum lethe_err rc;

	if (seg_log2 < LT_LTH_SEG_LOG2_MIN || seg_log2 > LT_LTH_SEG_LOG2_MAX)
		return lt_err(LETHE_ERR_INVALID, "segment size 2^%u out of range (2^%d..2^%d)",
			      seg_log2, LT_LTH_SEG_LOG2_MIN, LT_LTH_SEG_LOG2_MAX);
	keys = lt_secmem_alloc(sizeof(*keys));
	if (!keys)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for keys");
	rc = lth_derive(dek, object_id, salt, keys);
	if (rc != LETHE_OK)
		goto out;
	aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	w.sha = EVP_MD_CTX_new();
	if (!aes || !w.sha || EVP_DigestInit_ex(w.sha, EVP_sha256(), NULL) != 1) {
		rc = lt_crypto_fail("AES-256-GCM/SHA-256 setup");
		goto out;
	}
	rc = lth_ctx_new(aes, keys->payload, 1, &ctx);
	if (rc == LETHE_OK)
		rc = lth_header_emit(ctx, keys, seg_log2, object_id, salt, header, &w);
	if (rc != LETHE_OK)
		goto out;

	src.fd = in_fd;
	src.seg_size = (size_t) 1 << seg_log2;
	nthreads = lth_thread_count(threads, lth_input_size(in_fd));
	rc = lth_encrypt_body(aes, keys, ctx, header, &src, nthreads, &w);
	if (rc != LETHE_OK)
		goto out;
	if (EVP_DigestFinal_ex(w.sha, info->ciphertext_sha256, NULL) != 1) {
		rc = lt_crypto_fail("SHA-256 final");
		goto out;
	}
	info->plaintext_size = src.total;
	info->ciphertext_size = w.written;
out:
	if (rc != LETHE_OK)
		memset(info, 0, sizeof(*info));
	EVP_CIPHER_CTX_free(ctx);
	EVP_MD_CTX_free(w.sha);
	EVP_CIPHER_free(aes);
	lt_secmem_free(keys, sizeof(*keys));
	return rc;
}

enum lethe_err lt_lth_encrypt_salt(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				   unsigned seg_log2, const uint8_t salt[32], int in_fd, int out_fd,
				   unsigned threads, struct lt_lth_info *info)
{
	memset(info, 0, sizeof(*info));
	return lth_encrypt(dek, object_id, seg_log2, salt, in_fd, out_fd, threads, NULL, NULL,
			   info);
}

enum lethe_err lt_lth_encrypt(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
			      unsigned seg_log2, int in_fd, int out_fd, unsigned threads,
			      struct lt_lth_info *info)
{
	return lt_lth_encrypt_progress(dek, object_id, seg_log2, in_fd, out_fd, threads, NULL, NULL,
				       info);
}

enum lethe_err lt_lth_encrypt_progress(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				       unsigned seg_log2, int in_fd, int out_fd, unsigned threads,
				       lt_lth_read_fn on_write, void *ctx, struct lt_lth_info *info)
{
	uint8_t salt[LT_LTH_SALT_LEN];
	enum lethe_err rc;

	memset(info, 0, sizeof(*info));
	/* A fresh salt per write: a fresh payload key, so counter nonces never repeat. */
	rc = lt_random(salt, sizeof(salt));
	if (rc != LETHE_OK)
		return rc;
	return lth_encrypt(dek, object_id, seg_log2, salt, in_fd, out_fd, threads, on_write, ctx,
			   info);
}

/* ---- decryption ------------------------------------------------------------------------- */

/*
 * The batches of a decryption: the covering segments, @p room at a time. A verification
 * (@p sha set) keeps each batch's file bytes, opening segments into a scratch buffer, and the
 * calling thread hashes them in order and reports them to @p on_read.
 */
struct lth_open_job {
	const struct lth_reader *reader;
	const struct lth_range *range;
	size_t room;
	EVP_MD_CTX *sha;
	lt_lth_read_fn on_read;
	void *on_read_ctx;
};

static void lth_open_job_batch(const struct lth_open_job *j, uint64_t seq, struct lth_batch *b)
{
	uint64_t left;

	b->first = j->range->first + seq * j->room;
	left = j->range->last - b->first + 1;
	b->count = left < j->room ? (size_t) left : j->room;
}

/* Decryption worker: claim published batches, read and open them. */
static void *lth_worker_open(void *arg)
{
	struct lth_worker *w = arg;
	struct lth_pool *p = w->pool;
	const struct lth_open_job *j = p->job;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct lth_slot *slot;
		uint64_t seq;

		while (!p->stop && !p->closed && p->claimed == p->published)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop || p->claimed == p->published)
			break;
		seq = p->claimed++;
		slot = &p->slots[seq % p->nslots];
		pthread_mutex_unlock(&p->lock);

		lth_open_job_batch(j, seq, &slot->batch);
		lth_slot_done(p, slot, lth_open_batch(j->reader, w->ctx, &slot->batch, w->scratch));
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* A verified batch of a verification: hash its file bytes, report them. */
static enum lethe_err lth_batch_account(const struct lth_open_job *j, const struct lth_batch *b)
{
	const struct lth_layout *l = &j->reader->layout;
	size_t last = lth_seg_len(l, b->first + b->count - 1);
	uint64_t file_bytes = (b->count - 1) * l->stride + last + LTH_TAG_LEN;

	if (EVP_DigestUpdate(j->sha, b->buf, (size_t) file_bytes) != 1)
		return lt_crypto_fail("SHA-256 of the LTH1 file");
	if (j->on_read)
		j->on_read(file_bytes, (b->count - 1) * l->seg_size + last, j->on_read_ctx);
	return LETHE_OK;
}

/*
 * Verified segments go out before the failure of the next one (@p open_rc, its detail
 * recorded) is reported; a failure to write them is reported instead.
 */
static enum lethe_err lth_batch_out(const struct lth_open_job *j, const struct lth_batch *b,
				    enum lethe_err open_rc, int out_fd, uint64_t *written)
{
	struct lt_err_saved detail;
	uint64_t before = *written;
	enum lethe_err rc;

	if (open_rc != LETHE_OK)
		lt_err_save(&detail);
	rc = lth_write_verified(out_fd, j->range, &j->reader->layout, b, written);
	if (rc == LETHE_OK && open_rc == LETHE_OK && j->sha)
		rc = lth_batch_account(j, b);
	/* a decryption reports the plaintext it wrote (a verification's on_read is above) */
	if (rc == LETHE_OK && !j->sha && j->on_read && *written > before)
		j->on_read(0, *written - before, j->on_read_ctx);
	if (rc != LETHE_OK || open_rc == LETHE_OK)
		return rc;
	return lt_err_restore(&detail, open_rc);
}

static enum lethe_err lth_decrypt_serial(const struct lth_open_job *j, EVP_CIPHER_CTX *ctx,
					 uint64_t batches, int out_fd, uint64_t *written)
{
	size_t buf_len = j->room * j->reader->layout.stride;
	size_t scratch_len = j->sha ? j->reader->layout.seg_size : 0;
	struct lth_batch b = {0};
	uint8_t *scratch = NULL;
	enum lethe_err rc = LETHE_OK;
	uint64_t seq;

	b.buf = lth_buf_new(buf_len);
	if (scratch_len)
		scratch = lth_buf_new(scratch_len);
	if (!b.buf || (scratch_len && !scratch)) {
		rc = lt_err(LETHE_ERR_NOMEM, "out of memory for segment buffers");
		goto out;
	}
	for (seq = 0; rc == LETHE_OK && seq < batches; seq++) {
		lth_open_job_batch(j, seq, &b);
		rc = lth_batch_out(j, &b, lth_open_batch(j->reader, ctx, &b, scratch), out_fd,
				   written);
	}
out:
	lth_buf_free(scratch, scratch_len);
	lth_buf_free(b.buf, buf_len);
	return rc;
}

/* Workers read and open batches; the calling thread writes verified plaintext in order. */
static enum lethe_err lth_decrypt_parallel(const struct lth_open_job *j, uint64_t batches,
					   unsigned nthreads, int out_fd, uint64_t *written,
					   int *alone)
{
	const struct lth_reader *r = j->reader;
	struct lth_pool pool;
	struct lth_slot *slot;
	enum lethe_err rc;
	uint64_t seq;

	*alone = 0;
	rc = lth_pool_start(&pool, nthreads, j->room * r->layout.stride,
			    j->sha ? r->layout.seg_size : 0, r->aes, r->keys->payload, 0,
			    lth_worker_open, j);
	if (rc == LETHE_OK && pool.nworkers == 0) {
		*alone = 1;
		goto out;
	}
	if (rc != LETHE_OK)
		goto out;
	pthread_mutex_lock(&pool.lock);
	pool.published = batches < pool.nslots ? batches : pool.nslots;
	pool.closed = pool.published == batches;
	pthread_cond_broadcast(&pool.changed);
	pthread_mutex_unlock(&pool.lock);

	for (seq = 0; rc == LETHE_OK && seq < batches; seq++) {
		slot = lth_pool_wait_done(&pool, seq);
		rc = lth_batch_out(j, &slot->batch,
				   slot->rc != LETHE_OK ? lth_slot_error(slot) : LETHE_OK, out_fd,
				   written);
		lth_pool_release(&pool, slot, batches);
	}
out:
	lth_pool_destroy(&pool);
	return rc;
}

/*
 * Which segments cover [offset, offset + length), against the size the file claims. The rule
 * that makes a reply trustworthy: every byte written comes from a verified segment, and any
 * reply that depends on the size (a range cut at the end, an offset at or past the end) has
 * verified the final segment. A range that reaches the claimed end therefore always covers the
 * final segment; an offset at or past it covers the final segment alone; a zero-length range
 * covers the segment holding its offset, which proves the offset is inside the plaintext.
 */
static void lth_range_plan(const struct lth_layout *l, uint64_t offset, uint64_t length,
			   struct lth_range *range)
{
	uint64_t size = l->plaintext_size;

	if (offset >= size) {
		range->first = range->last = l->segments - 1;
		range->begin = range->end = offset;
		return;
	}
	range->begin = offset;
	range->end = offset + (length < size - offset ? length : size - offset);
	range->first = offset / l->seg_size;
	range->last = range->end > range->begin ? (range->end - 1) / l->seg_size : range->first;
	/* The final segment is never empty here (size > 0): (size - 1) / S is segment N-1. */
}

/* Commitment first (constant time), then the header tag: nothing else is trusted before. */
static enum lethe_err lth_header_verify(const struct lth_reader *r, EVP_CIPHER_CTX *ctx,
					const uint8_t object_id[LT_LTH_OBJECT_ID_LEN])
{
	const uint8_t *h = r->header;
	uint8_t tag[LTH_TAG_LEN];
	enum lethe_err rc;
	int ok = 0;

	if (!lt_memeq(h + LTH_OFF_COMMITMENT, r->keys->commitment, LT_KEY_LEN)) {
		/* Object ids are not secret: a plain comparison only refines the detail. */
		if (memcmp(h + LTH_OFF_OBJECT_ID, object_id, LT_LTH_OBJECT_ID_LEN) != 0)
			return lt_err(
			    LETHE_ERR_INTEGRITY,
			    "key commitment mismatch (wrong key or object id): the header "
			    "names another object id");
		return lt_err(LETHE_ERR_INTEGRITY,
			      "key commitment mismatch (wrong key or object id)");
	}
	memcpy(tag, h + LTH_OFF_TAG, LTH_TAG_LEN);
	rc = lth_open(ctx, 0, LTH_FLAG_HEADER, h, LTH_OFF_TAG, tag, 0, &ok);
	if (rc != LETHE_OK)
		return rc;
	if (!ok)
		return lt_err(LETHE_ERR_INTEGRITY, "header failed authentication");
	return LETHE_OK;
}

/*
 * Everything before the segments: the header's bounds, the keys, the commitment, the header
 * tag, then the layout the file size implies. Allocates nothing that depends on the file
 * before the header has verified.
 */
static enum lethe_err lth_reader_open(struct lth_reader *r, EVP_CIPHER_CTX **ctx,
				      const uint8_t dek[LT_KEY_LEN],
				      const uint8_t object_id[LT_LTH_OBJECT_ID_LEN],
				      struct lth_keys *keys)
{
	uint64_t size = 0, full = 0;
	enum lethe_err rc;

	rc = r->src->size(r->src->ctx, &size);
	if (rc != LETHE_OK)
		return rc;
	rc = lth_header_read(r->src, r->header);
	if (rc != LETHE_OK)
		return rc;
	rc = lth_derive(dek, object_id, r->header + LTH_OFF_SALT, keys);
	if (rc != LETHE_OK)
		return rc;
	r->keys = keys;
	rc = lth_ctx_new(r->aes, keys->payload, 0, ctx);
	if (rc == LETHE_OK)
		rc = lth_header_verify(r, *ctx, object_id);
	if (rc != LETHE_OK)
		return rc;
	rc = lth_layout_fit(size, r->header[LTH_OFF_SEG_LOG2], &r->layout, &full);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lth_diagnose_tail(r, *ctx, full);
	return rc;
}

/*
 * Decrypt [offset, offset + length) to @p out_fd, or (@p sha set: a verification) the whole
 * file to nowhere while hashing every byte of it into @p sha. Fills @p r.
 */
static enum lethe_err lth_read(struct lth_reader *r, const uint8_t dek[LT_KEY_LEN],
			       const uint8_t object_id[16], int out_fd, uint64_t offset,
			       uint64_t length, unsigned threads, struct lth_open_job *job,
			       uint64_t *written)
{
	struct lth_keys *keys = NULL;
	EVP_CIPHER *aes = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	struct lth_range range;
	uint64_t segments, batches;
	unsigned nthreads;
	enum lethe_err rc;
	int alone = 1;

	keys = lt_secmem_alloc(sizeof(*keys));
	if (!keys)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for keys");
	aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!aes) {
		rc = lt_crypto_fail("AES-256-GCM fetch");
		goto out;
	}
	r->aes = aes;
	rc = lth_reader_open(r, &ctx, dek, object_id, keys);
	if (rc != LETHE_OK)
		goto out;
	if (job->sha) {
		if (EVP_DigestUpdate(job->sha, r->header, LTH_HEADER_LEN) != 1) {
			rc = lt_crypto_fail("SHA-256 of the LTH1 file");
			goto out;
		}
		if (job->on_read)
			job->on_read(LTH_HEADER_LEN, 0, job->on_read_ctx);
	}

	lth_range_plan(&r->layout, offset, length, &range);
	assert(range.last >= range.first);
	segments = range.last - range.first + 1;
	job->reader = r;
	job->range = &range;
	job->room = lth_batch_segments(r->layout.seg_size);
	if (job->room > segments)
		job->room = (size_t) segments; /* a small range gets a small buffer */
	assert(job->room > 0);
	batches = (segments + job->room - 1) / job->room;
	nthreads = lth_thread_count(threads, segments * r->layout.stride);
	/*
	 * The calling thread of a decryption only writes: @p nthreads workers open. That of a
	 * verification hashes full time (SHA-256 costs more than AES-GCM), so it counts as one.
	 */
	if (nthreads > 1)
		rc = lth_decrypt_parallel(job, batches, job->sha ? nthreads - 1 : nthreads, out_fd,
					  written, &alone);
	if (rc == LETHE_OK && alone)
		rc = lth_decrypt_serial(job, ctx, batches, out_fd, written);
	/* Only now, with the final segment verified, is the size known to be the real one. */
	if (rc == LETHE_OK && offset > r->layout.plaintext_size)
		rc = lt_err(LETHE_ERR_INVALID, "offset %llu is beyond the end (%llu bytes)",
			    (unsigned long long) offset,
			    (unsigned long long) r->layout.plaintext_size);
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(aes);
	lt_secmem_free(keys, sizeof(*keys));
	return rc;
}

/* An LTH1 file given as a descriptor: read with pread, sized with fstat. */
static enum lethe_err fd_read_at(void *ctx, void *buf, size_t len, uint64_t offset, size_t *got)
{
	return lt_pread_full(*(const int *) ctx, buf, len, offset, got);
}

static enum lethe_err fd_size(void *ctx, uint64_t *size)
{
	struct stat st;

	*size = 0;
	if (fstat(*(const int *) ctx, &st) != 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "fstat of the LTH1 file");
	if (!S_ISREG(st.st_mode))
		return lt_err(LETHE_ERR_INVALID, "the LTH1 input is not a regular file");
	*size = (uint64_t) st.st_size;
	return LETHE_OK;
}

static struct lt_bytesrc fd_source(int *fd)
{
	return (struct lt_bytesrc){.read_at = fd_read_at, .size = fd_size, .ctx = fd};
}

enum lethe_err lt_lth_decrypt_from(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				   const struct lt_bytesrc *in, int out_fd, uint64_t offset,
				   uint64_t length, unsigned threads, uint64_t *written)
{
	return lt_lth_decrypt_progress(dek, object_id, in, out_fd, offset, length, threads, NULL,
				       NULL, written);
}

enum lethe_err lt_lth_decrypt_progress(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				       const struct lt_bytesrc *in, int out_fd, uint64_t offset,
				       uint64_t length, unsigned threads, lt_lth_read_fn on_write,
				       void *ctx, uint64_t *written)
{
	struct lth_open_job job = {.on_read = on_write, .on_read_ctx = ctx};
	struct lth_reader r;

	*written = 0;
	memset(&r, 0, sizeof(r));
	r.src = in;
	return lth_read(&r, dek, object_id, out_fd, offset, length, threads, &job, written);
}

enum lethe_err lt_lth_decrypt(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16], int in_fd,
			      int out_fd, uint64_t offset, uint64_t length, unsigned threads,
			      uint64_t *written)
{
	struct lt_bytesrc in = fd_source(&in_fd);

	return lt_lth_decrypt_from(dek, object_id, &in, out_fd, offset, length, threads, written);
}

enum lethe_err lt_lth_verify_from(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				  const struct lt_bytesrc *in, unsigned threads,
				  lt_lth_read_fn on_read, void *ctx, uint8_t file_sha256[32],
				  uint64_t *plaintext_size)
{
	struct lth_open_job job = {.on_read = on_read, .on_read_ctx = ctx};
	struct lth_reader r;
	uint64_t written = 0, size = 0;
	enum lethe_err rc;

	memset(file_sha256, 0, 32);
	*plaintext_size = 0;
	memset(&r, 0, sizeof(r));
	r.src = in;
	job.sha = EVP_MD_CTX_new();
	if (!job.sha || EVP_DigestInit_ex(job.sha, EVP_sha256(), NULL) != 1) {
		rc = lt_crypto_fail("SHA-256 init");
		goto out;
	}
	rc = lth_read(&r, dek, object_id, -1, 0, LETHE_TO_END, threads, &job, &written);
	if (rc != LETHE_OK)
		goto out;
	/* The layout came from the size at the start: bytes appended since were not read. */
	rc = in->size(in->ctx, &size);
	if (rc != LETHE_OK)
		goto out;
	if (size !=
	    lth_seg_pos(&r.layout, r.layout.segments - 1) + r.layout.last_len + LTH_TAG_LEN) {
		rc = lt_err(LETHE_ERR_INTEGRITY, "file changed size while it was read");
		goto out;
	}
	if (EVP_DigestFinal_ex(job.sha, file_sha256, NULL) != 1) {
		rc = lt_crypto_fail("SHA-256 final");
		goto out;
	}
	*plaintext_size = r.layout.plaintext_size;
out:
	if (rc != LETHE_OK)
		memset(file_sha256, 0, 32);
	EVP_MD_CTX_free(job.sha);
	return rc;
}

enum lethe_err lt_lth_verify(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16], int in_fd,
			     unsigned threads, lt_lth_read_fn on_read, void *ctx,
			     uint8_t file_sha256[32], uint64_t *plaintext_size)
{
	struct lt_bytesrc in = fd_source(&in_fd);

	return lt_lth_verify_from(dek, object_id, &in, threads, on_read, ctx, file_sha256,
				  plaintext_size);
}

enum lethe_err lt_lth_peek(int in_fd, unsigned *seg_log2, uint8_t object_id[16])
{
	struct lt_bytesrc in = fd_source(&in_fd);
	uint8_t header[LTH_HEADER_LEN];
	enum lethe_err rc;

	*seg_log2 = 0;
	memset(object_id, 0, LT_LTH_OBJECT_ID_LEN);
	rc = lth_header_read(&in, header);
	if (rc != LETHE_OK)
		return rc;
	*seg_log2 = header[LTH_OFF_SEG_LOG2];
	memcpy(object_id, header + LTH_OFF_OBJECT_ID, LT_LTH_OBJECT_ID_LEN);
	return LETHE_OK;
}
