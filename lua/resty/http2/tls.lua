-- resty.http2.tls: TLS with ALPN "h2" over any byte transport, a plain
-- cosocket included, through libh2's TLS filter (include/h2/tls.h).
--
-- Stock nginx cannot offer ALPN from Lua (tcpsock:sslhandshake has no ALPN
-- argument; the seed needed a patched lua-nginx-module), so the binding
-- does TLS itself: OpenSSL runs over memory buffers in libh2, and the
-- encrypted bytes travel over the caller's plain cosocket. The result is a
-- transport with the seed's shape, recv(ctx, n) returning exactly n plain
-- bytes and send(ctx, data), that resty.http2 uses like a plain socket.
--
--   local t, err = tls.handshake(sock.receive, sock.send, sock, {
--       server_name = "api.push.apple.com",   -- SNI and verification
--       ca_file = nil,                        -- nil: the system CA store
--       cert_file = "provider.pem", key_file = "provider.key",
--   })
--   local client = http2.new { recv = t.recv, send = t.send, ctx = t }
--
-- (http2.new{ ..., tls = {...} } does exactly this.)
--
-- Reads need only the caller's exact-length recv: a TLS record announces
-- its length in its 5-byte header, so the transport reads a header, then
-- the record, and feeds both to OpenSSL.

local ffi = require "ffi"
local core = require "resty.http2.core"

ffi.cdef [[
typedef struct h2_tls_context h2_tls_context;
typedef struct h2_tls h2_tls;

typedef struct h2_tls_options {
  uint32_t struct_size;
  uint32_t flags;
  uint32_t max_input_buffer;
  uint32_t max_pending_output;
  const char *server_name;
  const char *ca_file;
  const char *ca_path;
  const char *cert_file;
  const char *key_file;
  const char *key_password;
  const char *alpn;
} h2_tls_options;

void h2_tls_options_init_sized(h2_tls_options *options, size_t size);
int h2_tls_context_new(h2_tls_context **ctx,
                       const h2_tls_options *options,
                       const h2_allocator *alloc, char *detail,
                       size_t detail_size);
void h2_tls_context_del(h2_tls_context *ctx);
int h2_tls_new_with_context(h2_tls **tls, h2_tls_context *ctx,
                            const char *server_name,
                            const h2_allocator *alloc);
void h2_tls_del(h2_tls *tls);
int h2_tls_handshake(h2_tls *tls);
int h2_tls_feed(h2_tls *tls, const uint8_t *encrypted, size_t length);
void h2_tls_feed_eof(h2_tls *tls);
size_t h2_tls_pending_output(const h2_tls *tls);
size_t h2_tls_peek_output(const h2_tls *tls, const uint8_t **data);
int h2_tls_consume_output(h2_tls *tls, size_t count);
int h2_tls_write(h2_tls *tls, const uint8_t *plain, size_t length);
int h2_tls_read(h2_tls *tls, uint8_t *plain, size_t capacity);
int h2_tls_close(h2_tls *tls);
const char *h2_tls_alpn(const h2_tls *tls);
const char *h2_tls_version(const h2_tls *tls);
const char *h2_tls_cipher(const h2_tls *tls);
const char *h2_tls_error_detail(const h2_tls *tls);
void *memmove(void *dest, const void *src, size_t n);
]]

local lib = core.lib
local ffi_string = ffi.string
local ffi_copy = ffi.copy
local byte = string.byte

local TLS_INSECURE = 0x1
local ERR_WOULD_BLOCK = core.ERR_WOULD_BLOCK
-- Room for the largest TLS record's plain text (16 KiB) and then some; the
-- buffer grows when a caller asks for more than it holds.
local INITIAL_PLAIN = 65536

local _M = { _VERSION = "0.1" }
local transport = {}
local transport_mt = { __index = transport }

-- Contexts (trust store, client certificate, ALPN) cost milliseconds to
-- load; each worker keeps one per distinct configuration, for the life of
-- the worker, like the C client's shared context.
local contexts = {}

local function context_key(opts)
    return table.concat({
        opts.verify == false and "insecure" or "verify",
        opts.ca_file or "", opts.ca_path or "", opts.cert_file or "",
        opts.key_file or "", opts.key_password or "", opts.alpn or "h2",
    }, "\0")
end

local function context_for(opts)
    local key = context_key(opts)
    local ctx = contexts[key]
    if ctx then
        return ctx
    end
    local options = ffi.new("h2_tls_options")
    lib.h2_tls_options_init_sized(options, ffi.sizeof(options))
    if opts.verify == false then
        options.flags = TLS_INSECURE
    end
    -- The strings are copied during the call; the Lua strings outlive it.
    options.ca_file = opts.ca_file
    options.ca_path = opts.ca_path
    options.cert_file = opts.cert_file
    options.key_file = opts.key_file
    options.key_password = opts.key_password
    options.alpn = opts.alpn
    local out = ffi.new("h2_tls_context *[1]")
    local detail = ffi.new("char[256]")
    local rc = lib.h2_tls_context_new(out, options, nil, detail, 256)
    if rc < 0 then
        local why = ffi_string(detail)
        return nil, "tls: " .. (why ~= "" and why or core.strerror(rc))
    end
    ctx = ffi.gc(out[0], lib.h2_tls_context_del)
    contexts[key] = ctx
    return ctx
end

local function check_options(opts)
    if type(opts) ~= "table" then
        return "tls options must be a table"
    end
    for _, name in ipairs { "server_name", "ca_file", "ca_path", "cert_file",
                            "key_file", "key_password", "alpn" } do
        if opts[name] ~= nil and type(opts[name]) ~= "string" then
            return "tls option " .. name .. " must be a string"
        end
    end
    if opts.verify ~= nil and type(opts.verify) ~= "boolean" then
        return "tls option verify must be a boolean"
    end
    if opts.verify ~= false and (opts.server_name == nil or opts.server_name == "") then
        return "tls option server_name is required (or verify = false)"
    end
    if opts.key_file and not opts.cert_file then
        return "tls option key_file needs cert_file"
    end
end

-- Error text of a failed TLS call: the filter's detail when it has one.
local function tls_error(self, rc)
    local detail = ffi_string(lib.h2_tls_error_detail(self.tls))
    if detail == "" then
        detail = core.strerror(rc)
    end
    self.err = "tls: " .. detail
    return nil, self.err
end

-- Sends every encrypted byte OpenSSL has queued. One light thread at a
-- time sends on a cosocket; a second one finds `sending` set and leaves
-- the bytes to the first, whose loop picks them up before it returns.
local function flush_records(self)
    if self.sending then
        return true
    end
    self.sending = true
    local tls, out = self.tls, self.peek
    while true do
        local n = tonumber(lib.h2_tls_peek_output(tls, out))
        if n == 0 then
            break
        end
        local ok, err = self.raw_send(self.raw_ctx, ffi_string(out[0], n))
        if not ok then
            self.sending = false
            self.err = err
            return nil, err
        end
        lib.h2_tls_consume_output(tls, n)
    end
    self.sending = false
    return true
end

-- Reads one whole TLS record from the network and hands it to OpenSSL.
local function read_record(self)
    local head, err = self.raw_recv(self.raw_ctx, 5)
    if not head then
        if err == "closed" then
            lib.h2_tls_feed_eof(self.tls)
            return true
        end
        self.err = err
        return nil, err
    end
    local hi, lo = byte(head, 4, 5)
    local length = hi * 256 + lo
    local body = ""
    if length > 0 then
        body, err = self.raw_recv(self.raw_ctx, length)
        if not body then
            self.err = err
            return nil, err
        end
    end
    local record = head .. body
    local offset, total = 0, #record
    while offset < total do
        local rc = lib.h2_tls_feed(self.tls, ffi.cast("const uint8_t *", record) + offset,
                                   total - offset)
        if rc == ERR_WOULD_BLOCK then
            -- The filter's input buffer is full: it has more than a record
            -- to process already, which the caller's next read will do.
            self.leftover = record:sub(offset + 1)
            return true
        end
        if rc < 0 then
            return tls_error(self, rc)
        end
        offset = offset + rc
    end
    return true
end

local function feed_leftover(self)
    local rest = self.leftover
    if not rest then
        return true
    end
    local rc = lib.h2_tls_feed(self.tls, rest, #rest)
    if rc == ERR_WOULD_BLOCK then
        return true
    end
    if rc < 0 then
        return tls_error(self, rc)
    end
    self.leftover = rc < #rest and rest:sub(rc + 1) or nil
    return true
end

local function handshake(self)
    while true do
        local rc = lib.h2_tls_handshake(self.tls)
        local ok, err = flush_records(self)
        if not ok then
            return nil, err
        end
        if rc == 0 then
            return true
        end
        if rc ~= ERR_WOULD_BLOCK then
            return tls_error(self, rc)
        end
        ok, err = feed_leftover(self)
        if ok and not self.leftover then
            ok, err = read_record(self)
        end
        if not ok then
            return nil, err
        end
    end
end

-- Makes room for `need` more plain bytes after the buffered ones.
local function reserve(self, need)
    local used = self.plain_end - self.plain_start
    if self.plain_start > 0 and self.plain_end + need > self.plain_size then
        ffi.C.memmove(self.plain, self.plain + self.plain_start, used)
        self.plain_start, self.plain_end = 0, used
    end
    if used + need > self.plain_size then
        local size = self.plain_size
        while used + need > size do
            size = size * 2
        end
        local bigger = ffi.new("uint8_t[?]", size)
        ffi_copy(bigger, self.plain + self.plain_start, used)
        self.plain, self.plain_size = bigger, size
        self.plain_start, self.plain_end = 0, used
    end
end

-- recv(ctx, n) of the seed's transport shape: exactly n plain bytes, or
-- nil and an error ("closed" once the server has closed and everything
-- before it was read).
function transport.recv(self, n)
    if self.err then
        return nil, self.err
    end
    while self.plain_end - self.plain_start < n do
        reserve(self, math.max(n - (self.plain_end - self.plain_start), 16384 + 256))
        local rc = lib.h2_tls_read(self.tls, self.plain + self.plain_end,
                                   self.plain_size - self.plain_end)
        if rc > 0 then
            self.plain_end = self.plain_end + rc
        elseif rc == ERR_WOULD_BLOCK then
            local ok, err = flush_records(self)
            if ok then
                ok, err = feed_leftover(self)
            end
            if ok and not self.leftover then
                ok, err = read_record(self)
            end
            if not ok then
                return nil, err
            end
        elseif rc == core.ERR_CONNECTION_CLOSED then
            self.err = "closed"
            return nil, "closed"
        else
            -- Renegotiation attempts and bad records end the connection;
            -- a queued alert goes out first.
            flush_records(self)
            return tls_error(self, rc)
        end
    end
    local data = ffi_string(self.plain + self.plain_start, n)
    self.plain_start = self.plain_start + n
    if self.plain_start == self.plain_end then
        self.plain_start, self.plain_end = 0, 0
    end
    return data
end

-- send(ctx, data): encrypts and sends all of `data`.
function transport.send(self, data)
    if self.err then
        return nil, self.err
    end
    local offset, total = 0, #data
    local base = ffi.cast("const uint8_t *", data)
    while offset < total do
        local rc = lib.h2_tls_write(self.tls, base + offset, total - offset)
        if rc < 0 and rc ~= ERR_WOULD_BLOCK then
            return tls_error(self, rc)
        end
        if rc > 0 then
            offset = offset + rc
        end
        local ok, err = flush_records(self)
        if not ok then
            return nil, err
        end
        if rc == ERR_WOULD_BLOCK and self.sending and ngx then
            -- Another light thread is sending the queued records.
            ngx.sleep(0)
        end
    end
    return total
end

-- Sends close_notify. The cosocket itself stays the caller's.
function transport.close(self)
    if self.tls ~= nil and not self.err then
        lib.h2_tls_close(self.tls)
        flush_records(self)
    end
    self.err = self.err or "closed"
    return true
end

-- Points the transport at another cosocket (the same TCP connection taken
-- from nginx's pool again, as keepalive(key) sessions are).
function transport.rebind(self, recv, send, ctx)
    self.raw_recv, self.raw_send, self.raw_ctx = recv, send, ctx
end

-- The negotiated ALPN protocol, TLS version and cipher suite.
function transport.info(self)
    return ffi_string(lib.h2_tls_alpn(self.tls)), ffi_string(lib.h2_tls_version(self.tls)),
           ffi_string(lib.h2_tls_cipher(self.tls))
end

-- Runs the TLS handshake over recv/send(ctx) and returns the plain
-- transport, or nil and an error such as
--   "tls: certificate verify failed: hostname mismatch (expected \"x\")"
--   "tls: server selected ALPN \"http/1.1\", not \"h2\""
function _M.handshake(recv, send, ctx, opts)
    local bad = check_options(opts)
    if bad then
        return nil, bad
    end
    local context, err = context_for(opts)
    if not context then
        return nil, err
    end
    local out = ffi.new("h2_tls *[1]")
    local server_name = opts.server_name
    if server_name == "" then
        server_name = nil
    end
    local rc = lib.h2_tls_new_with_context(out, context, server_name, nil)
    if rc < 0 then
        return nil, "tls: " .. core.strerror(rc)
    end
    local self = setmetatable({
        tls = ffi.gc(out[0], lib.h2_tls_del),
        context = context, -- kept alive while the connection is
        raw_recv = recv, raw_send = send, raw_ctx = ctx,
        peek = ffi.new("const uint8_t *[1]"),
        plain = ffi.new("uint8_t[?]", INITIAL_PLAIN),
        plain_size = INITIAL_PLAIN, plain_start = 0, plain_end = 0,
        sending = false,
    }, transport_mt)
    local ok
    ok, err = handshake(self)
    if not ok then
        return nil, err
    end
    return self
end

return _M
