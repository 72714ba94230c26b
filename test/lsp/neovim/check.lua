-- Neovim 0.7 as a second LSP client of the Backplan language server. Opens a plan, starts the
-- server with vim.lsp.start_client, waits for its diagnostics, asks for a hover, and writes
-- what it saw as JSON. Parameters come from the environment:
--   BACKPLAN_SERVER  the server bundle (dist/server.js)   BACKPLAN_PLAN  the plan to open
--   BACKPLAN_LINE, BACKPLAN_CHAR  hover position (0-based)   BACKPLAN_OUT  where to write the JSON
local server = os.getenv('BACKPLAN_SERVER')
local plan = os.getenv('BACKPLAN_PLAN')
local out = os.getenv('BACKPLAN_OUT')
local line = tonumber(os.getenv('BACKPLAN_LINE'))
local char = tonumber(os.getenv('BACKPLAN_CHAR'))

local function finish(result, status)
  vim.fn.writefile({ vim.fn.json_encode(result) }, out)
  vim.cmd(status == 0 and 'qa!' or '1cquit!')
end

vim.cmd('edit ' .. vim.fn.fnameescape(plan))
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({
  name = 'backplan',
  cmd = { 'node', server, '--stdio' },
  root_dir = vim.fn.fnamemodify(plan, ':p:h'),
})
if not id then
  finish({ error = 'start_client failed' }, 1)
  return
end
vim.lsp.buf_attach_client(buf, id)

local got = vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)

local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local lsp = d.user_data and d.user_data.lsp or {}
  table.insert(diagnostics, {
    lnum = d.lnum,
    col = d.col,
    end_lnum = d.end_lnum,
    end_col = d.end_col,
    severity = d.severity,
    source = d.source,
    code = d.code or lsp.code,
    message = d.message,
  })
end

local client = vim.lsp.get_client_by_id(id)
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = char } }
local resp, err = client.request_sync('textDocument/hover', params, 10000, buf)
local hover = nil
if resp and resp.result and resp.result.contents then
  hover = resp.result.contents.value or resp.result.contents
end

local result = { diagnostics_arrived = got, diagnostics = diagnostics, hover = hover, hover_error = err or (resp and resp.err) }
client.stop()
vim.wait(5000, function()
  return client.is_stopped()
end, 50)
finish(result, 0)
