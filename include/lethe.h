/*
 * lethe.h - the public C API of lethe, an at-rest encryption and retention engine.
 *
 * A file service stores each file as an object: lethe encrypts it under its own data key
 * (LTH1 format, AES-256-GCM), keeps it for its group's retention period, then crypto-shreds it
 * and writes a signed disposal certificate. This header is the only one installed.
 *
 * Conventions (as in libcryptsetup): opaque handles created and freed by the library; every
 * function that can fail returns enum lethe_err (LETHE_OK = 0); out-parameters come last, are
 * zeroed on entry and are valid only on success. After a failure, lethe_errdetail() returns one
 * line saying what failed and why (per thread). Functions are safe to call from several
 * threads on different handles; one handle must not be used by two threads at once.
 *
 * The host process. liblethe changes nothing process-wide in the program that links it:
 *  - no openlog(), closelog() or setlogmask(): audit records go to syslog (facility authpriv,
 *    program "lethe", the process id; [audit] syslog in lethe.conf) over a socket of lethe's
 *    own to /dev/log, opened at the first record and kept open, close-on-exec. The program's
 *    own ident, facility and mask stay as it set them.
 *  - no umask() change: every file and directory is created with an explicit mode (0600 and
 *    0700 in the store, SQLite's -wal and -shm files included; 0644 and 0755 for exported
 *    evidence and checkpoints), which the program's umask can only narrow.
 *  - no setrlimit(RLIMIT_CORE) and no prctl(PR_SET_DUMPABLE): lethe's own key buffers are
 *    locked (mlock, when RLIMIT_MEMLOCK allows) and left out of core dumps (MADV_DONTDUMP)
 *    page by page. OpenSSL and libcryptsetup keep key schedules in ordinary memory while an
 *    operation runs, so a program that must never write a key to disk disables core dumps
 *    itself, at start: setrlimit(RLIMIT_CORE) to 0 and prctl(PR_SET_DUMPABLE, 0), as the
 *    lethe command does (or LimitCORE=0 in its systemd unit).
 *  - no signal dispositions and no lasting signal mask: writing to a pipe or socket whose
 *    reader has gone (lethe_object_get_fd(), lethe_audit_export()) fails with LETHE_ERR_IO
 *    ("Broken pipe") instead of raising SIGPIPE. Sockets are written with MSG_NOSIGNAL; for
 *    pipes SIGPIPE is blocked in the calling thread during the write and a SIGPIPE it raised
 *    is consumed before the mask is restored (one the program already had pending is left
 *    pending). SIGXFSZ is left alone: a program that sets RLIMIT_FSIZE should ignore it, or
 *    a put past the limit ends the program instead of failing with LETHE_ERR_NOSPC.
 *  Object reads and writes and sweeps may run threads of their own for their duration; they
 *  inherit the calling thread's signal mask. libcryptsetup's process-wide default log
 *  callback stays the program's: lethe sets its own callback on each device it opens.
 */
#ifndef LETHE_H
#define LETHE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LETHE_BUILDING)
#define LETHE_API __attribute__((visibility("default")))
#else
#define LETHE_API
#endif

/** Version of the library, "MAJOR.MINOR.PATCH". */
LETHE_API const char *lethe_version(void);

/**
 * Error codes. Part of the ABI: values are appended, never renumbered or reused.
 */
enum lethe_err {
	LETHE_OK = 0,
	LETHE_ERR_INTERNAL = 1,     /**< a bug or an unexpected library failure */
	LETHE_ERR_NOMEM = 2,        /**< out of memory */
	LETHE_ERR_IO = 3,           /**< a read, write, fsync or rename failed */
	LETHE_ERR_NOSPC = 4,        /**< no space left (or file size limit reached) */
	LETHE_ERR_INVALID = 5,      /**< a bad argument: malformed id, group, range, duration */
	LETHE_ERR_CONFIG = 6,       /**< lethe.conf is missing or invalid */
	LETHE_ERR_NOT_FOUND = 7,    /**< no such object, key version, officer or certificate */
	LETHE_ERR_SHREDDED = 8,     /**< the object has been crypto-shredded */
	LETHE_ERR_EXISTS = 9,       /**< already exists (store directory not empty, officer name) */
	LETHE_ERR_INTEGRITY = 10,   /**< tampered or corrupt data, wrong data key, broken chain */
	LETHE_ERR_HELD = 11,        /**< refused: the object or its group is on legal hold */
	LETHE_ERR_LOCKED = 12,      /**< refused: compliance-mode group, retention not yet over */
	LETHE_ERR_NOT_EXPIRED = 13, /**< refused: retention not over and no officer force */
	LETHE_ERR_KEK_IN_USE = 14,  /**< refused: a data key is still wrapped under this KEK */
	LETHE_ERR_LAST_OFFICER = 15, /**< refused: the last officer cannot be removed */
	LETHE_ERR_PERMISSION = 16,   /**< a key file, keystore or database is not 0600/ours */
	LETHE_ERR_UNLOCK = 17,       /**< wrong keyfile or passphrase */
	LETHE_ERR_NOT_OFFICER = 18,  /**< the operation needs an officer passphrase */
	LETHE_ERR_BUSY = 19,         /**< the database stayed locked past the busy timeout */
	LETHE_ERR_KEYSTORE = 20,     /**< keystore.luks missing, unreadable or not LUKS2 */
	LETHE_ERR_DATABASE = 21,     /**< meta.db corrupt, or from a newer version */
	LETHE_ERR_CRYPTO = 22,       /**< the crypto library failed unexpectedly */
	LETHE_ERR_SHORTENS = 23,     /**< refused: a retention change would shorten retention */
	LETHE_ERR_CLOCK = 24, /**< refused: the clock is earlier than the newest audit record,
				     *   or this process's clock disagrees with the kernel's */
};

/** A static, human-readable description of @p err. Never NULL. */
LETHE_API const char *lethe_strerror(enum lethe_err err);

/**
 * The detail of the last failure in this thread: one line naming what failed and why
 * ("segment 7 failed authentication"), or "" when there is none. Valid until the next call
 * into the library from this thread.
 */
LETHE_API const char *lethe_errdetail(void);

/** Length of an object, certificate or store id as text, without the NUL (a UUID). */
#define LETHE_ID_LEN 36
/** Length of an evidence key fingerprint as text, without the NUL: the SHA-256 of the raw
 * 32-byte Ed25519 public key, 64 lower-case hex digits. */
#define LETHE_FINGERPRINT_LEN 64
/** Longest group name: [A-Za-z0-9._-], 1..63 bytes. */
#define LETHE_GROUP_MAX 63
/** Longest object name (any bytes but NUL), and of a hold reason. */
#define LETHE_NAME_MAX   1023
#define LETHE_REASON_MAX 255
/** Longest officer name: [A-Za-z0-9._-], 1..31 bytes. */
#define LETHE_OFFICER_MAX 31

struct lethe_store;

/* ---------------------------------------------------------------------------------------- */
/* Store lifecycle                                                                          */

/** What lethe_store_init() needs. */
struct lethe_init_opts {
	const char *dir;             /**< store directory: absent or empty */
	const char *config_template; /**< optional lethe.conf to start from (NULL: defaults) */
	const char *keyfile;         /**< service keyfile path; created 0600 when absent */
	const char *officer;         /**< first officer's name */
	const char *passphrase;      /**< first officer's passphrase (not NUL-terminated) */
	size_t passphrase_len;
};

/**
 * Create a store: DIR/lethe.conf, keystore.luks (LUKS2 header holding the master key, with a
 * keyslot for the service keyfile and one for the first officer), meta.db, objects/, tmp/; the
 * first KEK and the evidence signing key. Creates the keyfile if it does not exist.
 *
 * @return LETHE_OK; LETHE_ERR_EXISTS if DIR is not empty; LETHE_ERR_INVALID for a bad officer
 *         name or empty passphrase; LETHE_ERR_CONFIG for a bad template; LETHE_ERR_PERMISSION
 *         for an existing keyfile that is not 0600 and ours; LETHE_ERR_IO, LETHE_ERR_NOSPC,
 *         LETHE_ERR_KEYSTORE, LETHE_ERR_DATABASE, LETHE_ERR_CRYPTO, LETHE_ERR_NOMEM.
 */
LETHE_API enum lethe_err lethe_store_init(const struct lethe_init_opts *opts);

/** What lethe_store_open() needs. */
struct lethe_open_opts {
	const char *dir;        /**< store directory */
	const char *config;     /**< config file; NULL means DIR/lethe.conf */
	const char *passphrase; /**< officer passphrase; NULL unlocks with the service keyfile */
	size_t passphrase_len;
};

/**
 * Open a store: read the config, check file permissions, unlock the keystore (the keyslot that
 * opens it is the actor of everything done through the handle), open the database and run the
 * cheap part of recovery (leftovers in tmp/, unlinks a crash interrupted). A failed unlock is
 * audited.
 *
 * @return LETHE_OK; LETHE_ERR_CONFIG; LETHE_ERR_PERMISSION (names the file and the fix);
 *         LETHE_ERR_UNLOCK (wrong keyfile or passphrase, no such officer); LETHE_ERR_KEYSTORE (missing or
 *         unreadable); LETHE_ERR_INTEGRITY (both LUKS2 headers of keystore.luks damaged, or
 *         a keystore of another store); LETHE_ERR_DATABASE; LETHE_ERR_IO; LETHE_ERR_BUSY;
 *         LETHE_ERR_NOMEM. One damaged header does not fail the open: lethe_doctor()
 *         reports it.
 */
LETHE_API enum lethe_err lethe_store_open(const struct lethe_open_opts *opts,
					  struct lethe_store **out);

/**
 * lethe_store_open() as officer @p officer: @p opts->passphrase is tried on that officer's
 * keyslot alone (one Argon2id run), where lethe_store_open() tries each officer's keyslot in
 * turn (a full Argon2id run each, so the officers added last wait longest).
 *
 * @return as lethe_store_open(); LETHE_ERR_UNLOCK also when the roster has no such officer
 *         or the passphrase is not theirs; LETHE_ERR_INVALID without a passphrase or for a
 *         malformed name.
 */
LETHE_API enum lethe_err lethe_store_open_officer(const struct lethe_open_opts *opts,
						  const char *officer, struct lethe_store **out);

/** Close a store and wipe every key it held. NULL is a no-op. */
LETHE_API void lethe_store_close(struct lethe_store *store);

/** 1 if the handle was opened with an officer passphrase, 0 otherwise. */
LETHE_API int lethe_store_is_officer(const struct lethe_store *store);

/** The name of the keyslot that unlocked the handle ("service" or the officer's name). */
LETHE_API const char *lethe_store_actor(const struct lethe_store *store);

/**
 * Why the handle cannot write, or NULL when it can: "read-only file system" (a snapshot, a
 * read-only mount), "no write permission", "the disk is full". lethe_store_open() opens such a
 * store read-only rather than fail: every read works (get, stat, list, scrub, audit and
 * evidence verification and export) and every write fails, LETHE_ERR_NOSPC on a full disk and
 * LETHE_ERR_IO otherwise, with a detail that says why. The handle writes nothing at all: no
 * recovery at open, no audit record (see lethe_store_unaudited()), no scrub position.
 */
LETHE_API const char *lethe_store_read_only(const struct lethe_store *store);

/**
 * Audit records of operations on this handle that meta.db could not take because the store is
 * read-only or the disk is full: such an operation (a get on a snapshot) is not failed for
 * it; its record goes to syslog, with a warning that meta.db lacks it. Returns how many since
 * the handle was opened, and sets @p why (if not NULL) to the reason (NULL when none).
 */
LETHE_API uint64_t lethe_store_unaudited(const struct lethe_store *store, const char **why);

/**
 * Progress of long work: called with what is being done ("sweep", "rewrap", "scrub", "put",
 * "get"), how far and out of how much (total 0 when unknown). A put and a get count plaintext
 * bytes, about every 512 KiB, from the calling thread; a put's total is what is left of its
 * input when that is a regular file, else 0 (a pipe); a get's is the length of its range.
 * Optional; NULL turns it off.
 */
typedef void (*lethe_progress_fn)(const char *what, uint64_t done, uint64_t total, void *ctx);
LETHE_API void lethe_store_set_progress(struct lethe_store *store, lethe_progress_fn fn, void *ctx);

/* ---------------------------------------------------------------------------------------- */
/* Objects                                                                                  */

enum lethe_state {
	LETHE_STATE_LIVE = 0,
	LETHE_STATE_SHREDDED = 1,
};

/** What lethe knows of an object. Times are seconds since the epoch, UTC. */
struct lethe_object_info {
	char id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char name[LETHE_NAME_MAX + 1];
	uint64_t size;                 /**< plaintext bytes */
	uint8_t ciphertext_sha256[32]; /**< of the object file */
	int64_t created_at;
	int64_t retain_until;
	int64_t shredded_at; /**< 0 while live */
	int hold;            /**< 1 if the object or its group is on legal hold */
	char hold_reason[LETHE_REASON_MAX + 1];
	uint32_t kek_version; /**< KEK wrapping its data key (0 once shredded) */
	enum lethe_state state;
};

/**
 * Store the bytes read from @p fd until end of file as a new object of @p group (NULL:
 * "default") named @p name (NULL: ""). Durable once it returns LETHE_OK: the ciphertext is
 * fsynced and renamed into place before the row commits.
 *
 * @param id_out receives the new object's id (LETHE_ID_LEN + 1 bytes).
 * @return LETHE_OK; LETHE_ERR_INVALID (group or name); LETHE_ERR_IO (reading @p fd or writing
 *         the store); LETHE_ERR_NOSPC; LETHE_ERR_BUSY; LETHE_ERR_DATABASE; LETHE_ERR_CRYPTO;
 *         LETHE_ERR_NOMEM. On failure nothing of the object remains.
 */
LETHE_API enum lethe_err lethe_object_put_fd(struct lethe_store *store, int fd, const char *group,
					     const char *name, char id_out[LETHE_ID_LEN + 1]);

/** As lethe_object_put_fd(), from a buffer. */
LETHE_API enum lethe_err lethe_object_put_buf(struct lethe_store *store, const void *buf,
					      size_t len, const char *group, const char *name,
					      char id_out[LETHE_ID_LEN + 1]);

/** Length meaning "to the end of the object". */
#define LETHE_TO_END UINT64_MAX

/**
 * Write @p length plaintext bytes of object @p id from @p offset to @p out_fd. Only verified
 * plaintext is written; only the segments covering the range are decrypted. A range past the
 * end is cut at the end. Audited (including failures).
 *
 * @param out_fd where the plaintext goes; -1 verifies only: the range is decrypted and every
 *        tag in it checked as for a read, nothing is written and *written stays 0 (audited as
 *        a get all the same).
 * @param written receives the number of bytes written.
 * @return LETHE_OK; LETHE_ERR_INVALID (malformed id, offset beyond the end);
 *         LETHE_ERR_NOT_FOUND; LETHE_ERR_SHREDDED (also when a shred in another process
 *         overtook this get, unlinking the file between its row read and its file open);
 *         LETHE_ERR_INTEGRITY (the object file was modified, truncated, replaced, belongs to
 *         another object, or is missing while the object is live: some verified bytes may
 *         already have been written); LETHE_ERR_IO (also when @p out_fd is a pipe or socket
 *         whose reader has gone: "Broken pipe", never SIGPIPE); LETHE_ERR_NOMEM.
 */
LETHE_API enum lethe_err lethe_object_get_fd(struct lethe_store *store, const char *id, int out_fd,
					     uint64_t offset, uint64_t length, uint64_t *written);

/**
 * As lethe_object_get_fd(), into the file @p path, which only ever holds the whole verified
 * range: the plaintext goes to a new file (mode 0600) in the same directory that is fsynced
 * and renamed over @p path only once the range has been verified and written, and the
 * directory is then fsynced. Until then the new file has no name (O_TMPFILE), or, on a file
 * system without O_TMPFILE, the name ".NAME.lethe-XXXXXX" beside @p path. A failure leaves
 * @p path as it was and no new file behind (but for a failed fsync of the directory, which
 * comes after the rename). Plaintext never goes anywhere but that new file: an existing
 * FIFO, socket, device or symbolic link at @p path (not followed) is refused, as is a
 * directory; stream with lethe_object_get_fd() instead. The read is audited as
 * lethe_object_get_fd() audits it.
 *
 * @param written receives the number of bytes written.
 * @return LETHE_OK; while reading the object and writing the plaintext, what
 *         lethe_object_get_fd() returns, with lethe_errdetail() starting "<id>: "; while
 *         creating, syncing and renaming the file, with lethe_errdetail() starting "<path>: ":
 *         LETHE_ERR_INVALID (@p path is empty, ends in '/', or is a FIFO, socket, device or
 *         symbolic link), LETHE_ERR_IO (@p path is a
 *         directory or cannot be opened, its directory cannot take a new file, the name is too
 *         long, or an fsync, close or rename failed), LETHE_ERR_NOSPC, LETHE_ERR_NOMEM.
 */
LETHE_API enum lethe_err lethe_object_get_file(struct lethe_store *store, const char *id,
					       const char *path, uint64_t offset, uint64_t length,
					       uint64_t *written);

/**
 * What lethe knows of object @p id (live or shredded).
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_object_stat(struct lethe_store *store, const char *id,
					   struct lethe_object_info *info);

/** What lethe_object_detail() tells beyond struct lethe_object_info. */
struct lethe_object_detail {
	int locked; /**< 1 if its group was locked (compliance mode) when it was written: it
		     *   cannot be shredded before retain_until, not even with force */
	char cert_id[LETHE_ID_LEN + 1]; /**< its disposal certificate once shredded, else "" */
};

/**
 * The lock and disposal certificate of object @p id (live or shredded): two indexed reads,
 * cheap enough to call for each object of a listing.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_object_detail(struct lethe_store *store, const char *id,
					     struct lethe_object_detail *detail);

/** Flags of lethe_object_list(). */
#define LETHE_LIST_EXPIRED  0x1 /**< only live objects whose retain_until has passed */
#define LETHE_LIST_SHREDDED 0x2 /**< include shredded objects */

/** Called once per object; return non-zero to stop the iteration. */
typedef int (*lethe_object_fn)(const struct lethe_object_info *info, void *ctx);

/**
 * Call @p fn for each object of @p group (NULL: all groups), live ones only unless
 * LETHE_LIST_SHREDDED, ordered by creation time.
 * @return LETHE_OK (also when @p fn stopped it); LETHE_ERR_INVALID; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_object_list(struct lethe_store *store, const char *group,
					   unsigned flags, lethe_object_fn fn, void *ctx);

/** As lethe_object_fn, with the object's lethe_object_detail(). */
typedef int (*lethe_object_detail_fn)(const struct lethe_object_info *info,
				      const struct lethe_object_detail *detail, void *ctx);

/**
 * As lethe_object_list(), with each object's lock and certificate (read from the same row,
 * plus one indexed read per shredded object): what `lethe ls` shows.
 * @return as lethe_object_list().
 */
LETHE_API enum lethe_err lethe_object_list_detail(struct lethe_store *store, const char *group,
						  unsigned flags, lethe_object_detail_fn fn,
						  void *ctx);

/**
 * Crypto-shred object @p id: destroy its data key, write a signed disposal certificate, unlink
 * its ciphertext. Before retain_until this needs @p force and an officer handle, and is never
 * allowed in a locked group.
 *
 * @param reason  why (free text, required, at most LETHE_REASON_MAX bytes).
 * @param cert_id_out receives the certificate id.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND; LETHE_ERR_SHREDDED;
 *         LETHE_ERR_HELD; LETHE_ERR_LOCKED; LETHE_ERR_NOT_EXPIRED (without @p force);
 *         LETHE_ERR_NOT_OFFICER (@p force without an officer handle); LETHE_ERR_IO;
 *         LETHE_ERR_BUSY; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_object_rm(struct lethe_store *store, const char *id,
					 const char *reason, int force,
					 char cert_id_out[LETHE_ID_LEN + 1]);

/* ---------------------------------------------------------------------------------------- */
/* Retention and legal holds                                                                */

/**
 * Place a legal hold on object @p id, or on every object of @p group present and future
 * (exactly one of the two is non-NULL). @p reason is the hold's case reference (required, one
 * line: no control characters). Holds stack: each reference is a hold of its own, cleared on
 * its own; setting a reference that already holds the target changes nothing (and succeeds).
 * A group lethe.conf does not name is refused unless `[retention] unknown_groups = allow`.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND; LETHE_ERR_SHREDDED;
 *         LETHE_ERR_INTEGRITY; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_hold_set(struct lethe_store *store, const char *id,
					const char *group, const char *reason);

/**
 * Clear the one legal hold of an object or a group (officer only); clearing where none is set
 * succeeds. When the target has several holds, LETHE_ERR_INVALID: name the one with
 * lethe_hold_release(). @p reason (optional, NULL for none) is why the hold ends, kept in the
 * audit record, e.g. "case 2026-114 closed".
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND;
 *         LETHE_ERR_INTEGRITY; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_hold_clear(struct lethe_store *store, const char *id,
					  const char *group, const char *reason);

/**
 * Clear the legal hold with reference @p ref of object @p id or group @p group (officer only);
 * the target's other holds stay. @p why (optional) is kept in the audit record.
 * @return LETHE_OK; LETHE_ERR_NOT_FOUND (no such object, or no hold with that reference);
 *         LETHE_ERR_NOT_OFFICER; LETHE_ERR_INVALID; LETHE_ERR_INTEGRITY; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_hold_release(struct lethe_store *store, const char *id,
					    const char *group, const char *ref, const char *why);

/** A legal hold, as lethe_hold_list() reports it. */
struct lethe_hold_info {
	char id[LETHE_ID_LEN + 1];       /**< the object held; "" for a group's hold */
	char group[LETHE_GROUP_MAX + 1]; /**< the group held; "" for an object's own hold */
	char ref[LETHE_REASON_MAX + 1];  /**< its case reference */
	int64_t set_at;                  /**< when it was placed (seconds since the epoch) */
	char set_by[128];                /**< who placed it: "user (keyslot)" */
};
typedef int (*lethe_hold_fn)(const struct lethe_hold_info *info, void *ctx);

/**
 * The legal holds of object @p id (its group's, then its own), or of group @p group, or, both
 * NULL, every hold of the store (group holds first); oldest first. @p fn returns non-zero to
 * stop.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND; LETHE_ERR_INTEGRITY;
 *         LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_hold_list(struct lethe_store *store, const char *id,
					 const char *group, lethe_hold_fn fn, void *ctx);

/**
 * Lengthen the retention of object @p id, or of every live object of @p group (exactly one
 * non-NULL): to @p until (seconds since the epoch) when non-zero, else by @p by seconds.
 * Never shortens.
 * @param changed receives how many objects were lengthened.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_NOT_FOUND; LETHE_ERR_SHREDDED;
 *         LETHE_ERR_SHORTENS (@p until is before an object's retain_until); LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_retention_extend(struct lethe_store *store, const char *id,
						const char *group, int64_t until, int64_t by,
						uint64_t *changed);

/** Outcome of a sweep. */
struct lethe_sweep_result {
	uint64_t shredded; /**< shredded now (with --dry-run: would be) */
	uint64_t held;     /**< expired but kept: on legal hold */
	uint64_t failed;   /**< expired, could not be shredded (see the callback) */
};

enum lethe_sweep_event {
	LETHE_SWEEP_SHREDDED = 0, /**< shredded (dry run: would be) */
	LETHE_SWEEP_HELD = 1,     /**< expired, kept: detail is the hold reason */
	LETHE_SWEEP_FAILED = 2,   /**< expired, failed: detail says why */
	/** shredded (now or by an earlier shred), but its ciphertext file could not be unlinked:
	 *  detail says why. The key is destroyed, so the file is noise; it stays queued, every
	 *  open retries it and lethe_doctor() reports it until the cause is fixed. */
	LETHE_SWEEP_UNLINK_PENDING = 3,
};

/** Called for each expired object a sweep looks at, and for each file left to unlink. */
typedef void (*lethe_sweep_fn)(enum lethe_sweep_event event, const char *id, const char *detail,
			       void *ctx);

/**
 * Crypto-shred every live object whose retain_until has passed and that is not held, in
 * batches, with a certificate each; then checkpoint and truncate the WAL. Idempotent and safe
 * alongside puts and gets in other processes. With @p dry_run nothing changes. A file that
 * cannot be unlinked after its shred does not fail the sweep (LETHE_SWEEP_UNLINK_PENDING).
 * @return LETHE_OK (also when some objects failed: see result->failed); LETHE_ERR_BUSY;
 *         LETHE_ERR_DATABASE; LETHE_ERR_IO.
 */
LETHE_API enum lethe_err lethe_sweep(struct lethe_store *store, int dry_run, lethe_sweep_fn fn,
				     void *ctx, struct lethe_sweep_result *result);

/* ---------------------------------------------------------------------------------------- */
/* Keys and officers                                                                        */

enum lethe_kek_state {
	LETHE_KEK_ACTIVE = 0,
	LETHE_KEK_RETIRED = 1, /**< destroyed: nothing it wrapped can be unwrapped */
};

struct lethe_key_info {
	uint32_t version;
	int primary;
	enum lethe_kek_state state;
	int64_t created_at;
	int64_t retired_at; /**< 0 while active */
	uint64_t objects;   /**< live data keys wrapped under it */
};

typedef int (*lethe_key_fn)(const struct lethe_key_info *info, void *ctx);

/** List KEK versions, oldest first. @return LETHE_OK; LETHE_ERR_DATABASE. */
LETHE_API enum lethe_err lethe_key_list(struct lethe_store *store, lethe_key_fn fn, void *ctx);

/**
 * Create a new primary KEK (officer only); new objects use it.
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_DATABASE; LETHE_ERR_CRYPTO.
 */
LETHE_API enum lethe_err lethe_key_rotate(struct lethe_store *store, uint32_t *new_version);

/**
 * Rewrap every live data key not under the primary KEK (officer only), in batches of one
 * transaction each; resumable: a crash loses at most the batch in progress. Each new wrap is
 * unwrapped again under the primary KEK (read afresh from the keystore) with its AAD and must
 * give back the same data key before its batch commits.
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_INTEGRITY (a wrapped key failed to
 *         unwrap, or a new wrap failed that check: the batch in progress is rolled back and
 *         the detail names the object); LETHE_ERR_DATABASE; LETHE_ERR_BUSY.
 */
LETHE_API enum lethe_err lethe_key_rewrap(struct lethe_store *store, uint64_t *rewrapped);

/**
 * Destroy KEK @p version (officer only). Refused while any live data key is wrapped under it,
 * and for the primary; and nothing is destroyed unless every live object's data key unwraps
 * under the KEK version its row records (whichever version that is).
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_NOT_FOUND; LETHE_ERR_KEK_IN_USE;
 *         LETHE_ERR_INTEGRITY (a live data key does not unwrap: the detail names the object,
 *         and nothing was retired); LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_key_retire(struct lethe_store *store, uint32_t version);

/** What lethe_key_auto() found and did. */
struct lethe_key_auto_result {
	int due;             /**< nonzero: the primary KEK was older than [keys] rotation */
	uint32_t rotated_to; /**< the new primary's version when rotated, else 0 */
	uint32_t primary;    /**< the primary KEK's version afterwards */
	int64_t primary_age; /**< its age in seconds afterwards */
	int64_t next_due;   /**< seconds until the next rotation is due (0: [keys] rotation is 0) */
	uint64_t rewrapped; /**< data keys rewrapped under the primary */
	uint32_t retired;   /**< old KEK versions retired */
};

/**
 * Routine rotation, for a timer: when the primary KEK is older than [keys] rotation, rotate;
 * then (due or not, finishing a run that stopped half-way) rewrap every data key that is not
 * under the primary and retire every other active version, each step as lethe_key_rotate(),
 * lethe_key_rewrap() and lethe_key_retire() do it. Runs as an officer, or as the service when
 * the store's lethe.conf sets [keys] auto_rotate = true (audited as key.auto_rotate,
 * key.auto_rewrap and key.auto_retire). @p result may be NULL.
 * @return LETHE_OK (also when nothing was due); LETHE_ERR_NOT_OFFICER (no officer and
 *         auto_rotate off); what the three steps return.
 */
LETHE_API enum lethe_err lethe_key_auto(struct lethe_store *store,
					struct lethe_key_auto_result *result);

/**
 * Write the store's metrics in the Prometheus text format (node_exporter's textfile
 * collector) to @p path, atomically (a temporary file renamed over it, 0644), or to @p fd
 * when @p path is NULL: live and shredded objects, live bytes, the last successful sweep,
 * shreds (certificates), failed and refused operations in the audit log, the primary KEK's
 * age and version, and the audit chain's length. Reads only; not audited.
 */
LETHE_API enum lethe_err lethe_metrics_write(struct lethe_store *store, const char *path, int fd);

/** Age in seconds of the primary KEK. */
LETHE_API enum lethe_err lethe_key_primary_age(struct lethe_store *store, int64_t *age);

struct lethe_officer_info {
	char name[LETHE_OFFICER_MAX + 1];
	int keyslot;
	int officer; /**< 0 for the service keyslot */
};

typedef int (*lethe_officer_fn)(const struct lethe_officer_info *info, void *ctx);

/** List the keystore's keyslots (service and officers). */
LETHE_API enum lethe_err lethe_officer_list(struct lethe_store *store, lethe_officer_fn fn,
					    void *ctx);

/**
 * Add an officer keyslot (officer only).
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_INVALID; LETHE_ERR_EXISTS;
 *         LETHE_ERR_KEYSTORE.
 */
LETHE_API enum lethe_err lethe_officer_add(struct lethe_store *store, const char *name,
					   const char *passphrase, size_t passphrase_len);

/**
 * Change the passphrase of the officer who opened @p store (officer only): their old
 * passphrase (the one the handle was opened with) stops working and @p passphrase opens
 * their keyslot instead. Crash-safe: at every moment one of the two works. Audited as
 * "officer.passwd" and signed by the officer authority. The strength of the new passphrase
 * is the caller's to check (lethe(1) requires at least 12 characters, 5 of them different).
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_INVALID (empty passphrase);
 *         LETHE_ERR_KEYSTORE (no free keyslot); LETHE_ERR_IO.
 */
LETHE_API enum lethe_err lethe_officer_passwd(struct lethe_store *store, const char *passphrase,
					      size_t passphrase_len);

/**
 * Remove an officer keyslot (officer only); the last officer cannot be removed.
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_NOT_FOUND; LETHE_ERR_LAST_OFFICER;
 *         LETHE_ERR_KEYSTORE.
 */
LETHE_API enum lethe_err lethe_officer_remove(struct lethe_store *store, const char *name);

/* ---------------------------------------------------------------------------------------- */
/* Disposal evidence                                                                        */

struct lethe_cert_info {
	uint64_t seq; /**< position in the chain, from 1 */
	char id[LETHE_ID_LEN + 1];
	char object_id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char reason[32]; /**< "retention-expired" or "manual" */
	int64_t shredded_at;
};

typedef int (*lethe_cert_fn)(const struct lethe_cert_info *info, void *ctx);

/** List disposal certificates in chain order. */
LETHE_API enum lethe_err lethe_evidence_list(struct lethe_store *store, lethe_cert_fn fn,
					     void *ctx);

/** What lethe_evidence_name_proof() reveals of one object's name commitment. */
struct lethe_name_proof {
	char object_id[LETHE_ID_LEN + 1];
	char cert_id[LETHE_ID_LEN + 1]; /**< its disposal certificate, "" while it is live */
	char salt[2 * 32 + 1];          /**< the salt of its name commitment, lower-case hex */
	char commit[2 * 32 + 1];        /**< name_commit, as its certificate states it */
	int matches; /**< 1 if the name given is the one committed to, 0 if not; -1 without one */
};

/**
 * Open the name commitment of object @p id (an object or certificate id): its salt, which
 * only the store's keys give, so that anyone can check with
 * `printf '%s' NAME | openssl mac -digest SHA256 -macopt hexkey:SALT HMAC` that the
 * certificate's name_commit is the HMAC of NAME; with @p name (NULL: none), that check is made
 * here too. Works before and after the shred; reveals nothing about any other object. Audited
 * ("evidence.name_proof").
 * @return LETHE_OK (also when the name does not match: see matches); LETHE_ERR_INVALID (a
 *         certificate of version 1, which states the unsalted SHA-256 of the name instead);
 *         LETHE_ERR_NOT_FOUND; LETHE_ERR_INTEGRITY (the row and its certificate disagree);
 *         LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_evidence_name_proof(struct lethe_store *store, const char *id,
						   const char *name,
						   struct lethe_name_proof *proof);

/**
 * Write every certificate to directory @p dir (created if absent; refused with
 * LETHE_ERR_EXISTS unless empty): certificates.jsonl (the exact signed bytes, one line
 * each), certificates.sig (their 64-byte Ed25519 signatures), manifest.txt and its
 * signature manifest.sig, evidence.pub.pem and a README for auditors. Audited.
 * @param count receives the number of certificates written.
 */
LETHE_API enum lethe_err lethe_evidence_export(struct lethe_store *store, const char *dir,
					       uint64_t *count);

/** Which certificates lethe_evidence_export_from() writes. */
enum lethe_export_range {
	LETHE_EXPORT_ALL = 0, /**< every certificate, from seq 1 */
	LETHE_EXPORT_SINCE_LAST =
	    1,                     /**< those issued since the last export (all, the first time) */
	LETHE_EXPORT_SINCE = 2,    /**< from the first one shredded at or after @p since */
	LETHE_EXPORT_FROM_SEQ = 3, /**< from seq @p since on */
};

/**
 * As lethe_evidence_export(), for the certificates @p from selects (enum lethe_export_range).
 * An export that starts after seq 1 names the SHA-256 of the certificate before it in its
 * manifest, so exports chain. The store notes where each export ended. @p first_seq receives
 * the first certificate's seq; @p count the number written (0: nothing new, the export is
 * still written, and names where the chain stands).
 */
LETHE_API enum lethe_err lethe_evidence_export_from(struct lethe_store *store, const char *dir,
						    int from, int64_t since, uint64_t *first_seq,
						    uint64_t *count);

/** Called by the verifiers for each problem found, with the certificate or record at fault. */
typedef void (*lethe_problem_fn)(const char *where, const char *what, void *ctx);

/**
 * Verify an exported evidence directory without any store: every signature against
 * evidence.pub.pem, and the chain (no change, gap or reordering). That proves integrity, not
 * origin: any key signs a consistent set. lethe_evidence_verify_dir_pinned() checks the key.
 * @param count receives the number of certificates checked.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (at least one problem reported); LETHE_ERR_IO;
 *         LETHE_ERR_INVALID (not an evidence directory).
 */
LETHE_API enum lethe_err lethe_evidence_verify_dir(const char *dir, lethe_problem_fn fn, void *ctx,
						   uint64_t *count);

/**
 * As lethe_evidence_verify_dir(), against a key obtained independently of the directory: the
 * public key in PEM file @p pubkey_file (every signature is checked under it), or the
 * fingerprint @p fingerprint (LETHE_FINGERPRINT_LEN hex digits, either case) that
 * evidence.pub.pem must have; both NULL: the directory's own key, unpinned. A set signed by
 * another key is reported (LETHE_ERR_INTEGRITY).
 * @param fingerprint_out receives the fingerprint of the key the set was checked under
 *        (LETHE_FINGERPRINT_LEN + 1 bytes; empty when there was none), may be NULL.
 * @return as lethe_evidence_verify_dir(); LETHE_ERR_INVALID also for a malformed
 *         @p fingerprint, both pins given, or a @p pubkey_file that is not a PEM Ed25519
 *         public key; LETHE_ERR_IO when @p pubkey_file cannot be read.
 */
LETHE_API enum lethe_err lethe_evidence_verify_dir_pinned(const char *dir, const char *pubkey_file,
							  const char *fingerprint,
							  lethe_problem_fn fn, void *ctx,
							  uint64_t *count, char *fingerprint_out);

/**
 * As lethe_evidence_verify_dir(), over the certificates held in the store, under the evidence
 * key bound to the master key (a replaced meta.evidence_pub is reported), and also: every
 * shredded object and every shred the audit log records has its certificate, and each
 * certificate agrees with the put record of its object.
 */
LETHE_API enum lethe_err lethe_evidence_verify(struct lethe_store *store, lethe_problem_fn fn,
					       void *ctx, uint64_t *count);

/**
 * The fingerprint of the store's evidence key (the one bound to the master key), to pin at
 * audits: LETHE_FINGERPRINT_LEN lower-case hex digits and a NUL into @p out.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (meta.evidence_pub was replaced); LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_evidence_fingerprint(struct lethe_store *store, char *out);

/** The evidence public key as PEM (SubjectPublicKeyInfo); free() it. */
LETHE_API enum lethe_err lethe_evidence_pubkey_pem(struct lethe_store *store, char **pem);

/* ---------------------------------------------------------------------------------------- */
/* Audit log                                                                                */

/**
 * Recompute the audit chain and check it against the signed checkpoints (their signed content
 * only) and the anchor kept in the keystore: a log that does not reach them (its newest
 * records, or all of it, deleted) fails. Records whose times go backwards, or lie in the
 * future, are reported too.
 * @param records receives the number of records checked.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (@p fn is told each problem, and the first bad record).
 */
LETHE_API enum lethe_err lethe_audit_verify(struct lethe_store *store, lethe_problem_fn fn,
					    void *ctx, uint64_t *records);

/**
 * The officer authority whose signature lethe_audit_verify() requires on every officer action
 * (docs/KEYS.md section 3b).
 * @param fingerprint receives the SHA-256 of the officer authority public key meta.db pins,
 *        64 hex digits and a NUL; "" when none is pinned (a store from before officers.luks
 *        that no officer has opened yet: nothing in its log is signed).
 * @param signed_from receives the first audit record from which officer actions must be
 *        signed: 1, or the migration record of a store made before officers.luks (the records
 *        before it predate the authority and are exempt); 0 when none is pinned.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_audit_officer_authority(struct lethe_store *store,
						       char fingerprint[65], uint64_t *signed_from);

/**
 * As lethe_audit_verify(), and the log must also contain and extend the checkpoint in
 * @p checkpoint_file (a checkpoint-SEQ.json written by lethe_audit_checkpoint() and kept
 * elsewhere, with its checkpoint-SEQ.sig beside it): the record it names, with the MAC it
 * names, and a signature by the store's evidence key.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (@p fn is told why); LETHE_ERR_NOT_FOUND (no such
 *         file, or no .sig beside it); LETHE_ERR_INVALID (not a checkpoint file); LETHE_ERR_IO.
 */
LETHE_API enum lethe_err lethe_audit_verify_anchor(struct lethe_store *store,
						   const char *checkpoint_file, lethe_problem_fn fn,
						   void *ctx, uint64_t *records);

/**
 * Officers only: move the anchor of the audit log kept in the keystore to the newest record,
 * whatever it named before. After meta.db was restored from a backup older than the keystore,
 * the log no longer reaches the anchor and `audit verify` reports the records lost; this
 * acknowledges the loss, in an "audit.reanchor" record that states what the anchor named.
 * @param seq receives the record now anchored.
 * @return LETHE_OK; LETHE_ERR_NOT_OFFICER; LETHE_ERR_KEYSTORE; LETHE_ERR_DATABASE.
 */
LETHE_API enum lethe_err lethe_audit_reanchor(struct lethe_store *store, uint64_t *seq);

/**
 * Write audit records with sequence number >= @p since_seq and time >= @p since_time
 * (seconds since the epoch) to @p fd as JSON Lines.
 */
LETHE_API enum lethe_err lethe_audit_export(struct lethe_store *store, int fd, uint64_t since_seq,
					    int64_t since_time, uint64_t *count);

/**
 * Sign the newest audit record's sequence number and MAC with the evidence key, keep the
 * checkpoint in the store and, when @p dir is not NULL, write it there as
 * checkpoint-<seq>.json and .sig.
 */
LETHE_API enum lethe_err lethe_audit_checkpoint(struct lethe_store *store, const char *dir,
						uint64_t *seq);

/* ---------------------------------------------------------------------------------------- */
/* Health                                                                                   */

enum lethe_doctor_level {
	LETHE_DOCTOR_OK = 0,
	LETHE_DOCTOR_WARN = 1,
	LETHE_DOCTOR_ERROR = 2,
	LETHE_DOCTOR_REPAIRED = 3,
};

typedef void (*lethe_doctor_fn)(enum lethe_doctor_level level, const char *check,
				const char *detail, void *ctx);

/**
 * Check the store: permissions, config, keystore, schema, objects/ and tmp/ (present, ours,
 * 0700), files of shredded objects left to unlink (retried, as every open does; each that
 * still fails is an error naming its cause), every live row has its file and every file its
 * row, no tmp leftovers, primary KEK age against [keys] rotation. Safe beside other
 * processes' puts, gets and shreds. With @p repair, remove orphan files (whose key never
 * committed), create missing directories and set their mode, finish interrupted unlinks.
 * @param problems receives the number of errors left (warnings not counted).
 */
LETHE_API enum lethe_err lethe_doctor(struct lethe_store *store, int repair, lethe_doctor_fn fn,
				      void *ctx, uint64_t *problems);

/* ---------------------------------------------------------------------------------------- */
/* Scrub                                                                                    */

/** How lethe_store_scrub() runs; all zero: the whole store, from the start, at full speed. */
struct lethe_scrub_opts {
	int resume;          /**< start after the last object the previous scrub of this store
			          reached, when it did not finish (interrupted, or stopped by
			          @c max_bytes); from the start when it finished or none ran */
	uint64_t rate_limit; /**< read at most this many bytes of object files per second
			          (0: no limit) */
	uint64_t max_bytes;  /**< stop once this many bytes were read, after the object that
			          reaches it (0: no limit); a later scrub with @c resume goes on */
};

/** Outcome of a scrub. */
struct lethe_scrub_result {
	uint64_t objects; /**< objects read back in this run, good and bad */
	uint64_t bytes;   /**< bytes of object files read */
	uint64_t bad;     /**< objects that failed a check (each reported to the callback) */
	int complete;     /**< 1 when the run reached the last object: nothing is left to resume */
	char resumed_after[LETHE_ID_LEN + 1]; /**< the object it resumed after; "" from the start */
};

/**
 * Called for each object that fails a check, with the error (LETHE_ERR_INTEGRITY, or
 * LETHE_ERR_IO for a file that cannot be read) and what failed ("ciphertext SHA-256 differs
 * from the one recorded at put", "segment 7 failed authentication", "object file missing").
 */
typedef void (*lethe_scrub_fn)(const char *id, enum lethe_err err, const char *detail, void *ctx);

/**
 * Read every live object back and check it without writing its plaintext anywhere: the file's
 * SHA-256 against the one recorded when it was written, then a full authenticated decryption
 * (key commitment, header tag, every segment's tag, the final segment, the size), so damage is
 * found before anyone needs the object. Objects go in id order; the position is saved in the
 * store at least every second and when the run ends, so an interrupted scrub can resume
 * (@c opts->resume). Objects stored after the run passed their id wait for the next one;
 * objects shredded while it runs are skipped. Progress goes to the progress callback ("scrub",
 * plaintext bytes checked, of the plaintext bytes to check). Each bad object gets an audit
 * record, and so does the run.
 *
 * @param opts NULL for the defaults.
 * @param fn   called for each bad object (may be NULL).
 * @return LETHE_OK when the run ended normally, also when objects were bad: see
 *         @c result->bad; LETHE_ERR_INVALID; LETHE_ERR_DATABASE; LETHE_ERR_BUSY;
 *         LETHE_ERR_NOMEM; LETHE_ERR_CRYPTO.
 */
LETHE_API enum lethe_err lethe_store_scrub(struct lethe_store *store,
					   const struct lethe_scrub_opts *opts, lethe_scrub_fn fn,
					   void *ctx, struct lethe_scrub_result *result);

/* ---------------------------------------------------------------------------------------- */
/* Helpers for callers                                                                      */

/** Parse a duration "Ns", "Nm", "Nh", "Nd" or "Nw" into seconds. */
LETHE_API enum lethe_err lethe_duration_parse(const char *text, int64_t *seconds);

/** Parse a size: bytes, or a number and KiB, MiB, GiB or TiB ("64KiB", "50MiB"). */
LETHE_API enum lethe_err lethe_size_parse(const char *text, uint64_t *bytes);

/**
 * Parse a time into seconds since the epoch: "YYYY-MM-DD" (midnight UTC), or a date and a
 * time of day separated by 'T' or a space, with or without seconds (a fraction of a second is
 * ignored), and a zone, Z or an offset: "2026-11-23T11:34:05Z", "2026-11-23 13:34:05+02:00",
 * "2026-11-23 06:34-0500". A time of day without a zone is refused (LETHE_ERR_INVALID), as
 * is any other spelling.
 */
LETHE_API enum lethe_err lethe_time_parse(const char *text, int64_t *seconds);

/** Format seconds since the epoch as RFC 3339 UTC ("2026-11-23T11:34:05Z"); buf >= 21. */
LETHE_API void lethe_time_format(int64_t seconds, char buf[21]);

/**
 * Format a size for people in IEC units with at most one decimal, rounded down so that it
 * never claims more than there is: "512 B", "64 KiB", "1.5 MiB", "1023.9 MiB"; buf >= 16.
 */
LETHE_API void lethe_size_format(uint64_t bytes, char buf[16]);

/** Lower-case hex of @p len bytes (a ciphertext_sha256, say); @p out >= 2 * len + 1 bytes. */
LETHE_API void lethe_hex_format(const void *bytes, size_t len, char *out);

#ifdef __cplusplus
}
#endif

#endif /* LETHE_H */
