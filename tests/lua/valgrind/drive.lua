-- Runs the binding's test pages in the plain luajit interpreter, for
-- valgrind (tests/lua/valgrind/run.sh): the codecs, a low-level session,
-- the high-level client and TLS against the real peers, then a full
-- collection and a normal exit, so LuaJIT's lua_close runs every ffi.gc
-- finalizer and each libh2 object (h2_conn, h2_tls, TLS contexts, HPACK
-- decoders, header lists) must have been freed by then.
--
--   luajit drive.lua SRC_DIR BUILD_DIR
--
-- Ports, certificates and the docroot come from the peers' environment
-- (peers.env, exported by run.sh). Prints each page's checks; fails (a Lua
-- error, exit status 1) when a check fails or a page does not finish.

local src, build = arg[1], arg[2]
package.path = table.concat({ build .. "/lua/?.lua", src .. "/lua/?.lua",
    src .. "/tests/lua/?.lua", src .. "/tests/lua/valgrind/?.lua", package.path }, ";")

local shim = require "ngx_shim"
-- One coroutine drives everything here, so no session ever waits for
-- another reader; a semaphore being asked for is a bug of the driver.
package.preload["ngx.semaphore"] = function()
    return { new = function() error("the valgrind driver has no semaphores") end }
end
ngx = shim.ngx

local env = os.getenv
local docroot, ca = env("H2_PEERS_DOCROOT"), env("H2_PEERS_CA")
local pages = {
    { "t_lowlevel.lua", { part = "codec" } },
    { "t_lowlevel.lua", { part = "session", server = "h2o",
                          port = env("H2_PEER_H2O_H2C"), docroot = docroot } },
    { "t_client.lua", { server = "h2o", port = env("H2_PEER_H2O_H2C"), n = "50",
                        docroot = docroot } },
    { "t_tls.lua", { server = "nghttpd", port = env("H2_PEER_NGHTTPD_TLS"), docroot = docroot,
                     ca = ca, wronghost = env("H2_PEER_NGHTTPD_WRONGHOST_TLS"),
                     untrusted = env("H2_PEER_NGHTTPD_UNTRUSTED_TLS"),
                     untrusted_ca = env("H2_PEERS_UNTRUSTED_CA") } },
}

local passed, failed = 0, 0
for _, page in ipairs(pages) do
    shim.set_args(page[2])
    local ok, err = pcall(dofile, src .. "/tests/lua/" .. page[1])
    local text = shim.take_output()
    for line in text:gmatch("[^\n]+") do
        if line:match("^ok %- ") then
            passed = passed + 1
        elseif line:match("^not ok %- ") then
            failed = failed + 1
            print(line)
        end
    end
    if not ok or not text:match("done\n$") then
        failed = failed + 1
        print("not ok - " .. page[1] .. " did not finish: " .. tostring(err))
    end
end
shim.close_parked()
-- Everything the pages made is garbage now; what a collection does not
-- free, lua_close at exit does.
collectgarbage("collect")
collectgarbage("collect")
print(string.format("lua binding under luajit: %d passed, %d failed", passed, failed))
if failed > 0 or passed == 0 then
    error("failed checks")
end
