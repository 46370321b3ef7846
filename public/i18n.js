// Strings for the admin page in English and Chinese, and the tiny lookup that uses them.
// A value is a string or {one, other} for counts; {name} placeholders are filled by t().

const en = {
  app_title: 'Gemini Key Balancer',
  app_subtitle: 'Admin console',
  lang_switch: '中文',
  lang_switch_label: 'Switch to Chinese',
  logout: 'Log out',
  refresh: 'Refresh',
  cancel: 'Cancel',

  login_title: 'Sign in',
  login_lead: 'Enter the admin token to manage the key pool.',
  login_token: 'Admin token',
  login_submit: 'Sign in',
  login_busy: 'Signing in…',
  login_hint: 'Running locally? npm start printed the token when it started and saved it in .dev.vars.',
  skip_link: 'Skip to content',
  stats_label: 'Pool totals',
  login_wrong: 'That token is not correct.',
  login_expired: 'Your session has expired. Please sign in again.',
  login_unset_title: 'The admin token is not configured',
  login_empty: 'Enter the token first.',
  login_retry: 'Check again',

  stat_total: 'Keys',
  stat_active: 'Active',
  stat_cooling: 'Cooling',
  stat_disabled: 'Disabled',
  stat_requests_today: 'Requests today',
  stat_errors_today: 'Errors today',
  stat_share: '{pct} of keys',
  stat_error_rate: '{pct} of requests',
  stat_unavailable: 'Not available from this server yet',
  stat_today_hint: 'Since midnight Pacific time, when Gemini daily quotas reset',

  chart_title: 'Traffic',
  chart_pool: 'All keys',
  chart_key: 'Key {masked}',
  chart_back: 'Show all keys',
  chart_24h: '24 hours',
  chart_7d: '7 days',
  chart_range: 'Time range',
  chart_ok: 'Successful',
  chart_errors: 'Errors',
  chart_empty: 'No traffic in this period yet.',
  chart_label: 'Requests and errors per hour',
  chart_summary: { one: '{n} request · {e} errors', other: '{n} requests · {e} errors' },

  add_title: 'Add keys',
  add_help: 'Paste keys one per line, separated by commas or spaces, or any text that contains them.',
  add_label: 'Keys to add',
  add_placeholder: 'AIza…\nAIza…',
  add_none: 'No keys found yet.',
  add_found: { one: '{n} key found', other: '{n} keys found' },
  add_repeated: '{n} repeated in the paste',
  add_malformed: { one: '{n} looks like a broken key (will be rejected)', other: '{n} look like broken keys (will be rejected)' },
  add_submit: { one: 'Add {n} key', other: 'Add {n} keys' },
  add_submit_none: 'Add keys',
  add_clear: 'Clear',
  add_busy: 'Adding… {done} / {total}',
  add_added: '{n} added',
  add_duplicates: '{n} already in the pool or repeated',
  add_rejected: '{n} rejected',
  add_pool_total: 'The pool now has {n} keys.',
  add_rejected_items: 'Rejected entries',
  add_too_many: 'Too many entries in one request. Paste fewer keys at a time.',

  check_title: 'Health check',
  check_help: 'Probes each key with a free request. Dead keys (invalid, leaked, suspended) are disabled, never deleted; rate-limited keys stay in service.',
  check_all: 'Check all keys',
  check_running: 'Checking… {checked} / {total}',
  check_starting: 'Starting the check…',
  check_never: 'No check has run yet.',
  check_done: 'Last check finished at {when} and took {took}.',
  dur_seconds: '{n} s',
  dur_minutes: '{m} min {s} s',
  check_progress: 'Check progress',
  check_dead_none: 'No dead keys in the pool.',
  check_dead_found: { one: '{n} dead key is disabled and can be removed.', other: '{n} dead keys are disabled and can be removed.' },
  check_dead_remove: { one: 'Remove {n} dead key', other: 'Remove {n} dead keys' },
  check_dead_more: '+{n} more',
  check_kept: 'Rate-limited keys are never offered for removal.',

  sum_ok: 'OK',
  sum_rate_limited: 'Rate-limited',
  sum_dead: 'Dead',
  sum_error: 'Errors',

  class_ok: 'OK',
  class_key_invalid: 'Invalid key',
  class_key_leaked: 'Leaked',
  class_key_suspended: 'Suspended',
  class_key_blocked: 'Blocked',
  class_quota_minute: 'Per-minute limit',
  class_quota_day: 'Daily quota',
  class_quota_other: 'Other quota',
  class_server_error: 'Server error',
  class_unauthenticated: 'Not accepted',
  class_location: 'Region not supported',
  class_client_error: 'Bad request',
  class_network_error: 'Network error',
  class_deleted: 'Deleted meanwhile',

  keys_title: 'Keys',
  filter_all: 'All',
  filter_active: 'Active',
  filter_cooling: 'Cooling',
  filter_disabled: 'Disabled',
  filter_label: 'Filter by status',
  search_label: 'Search by the last four characters of a key',
  search_placeholder: 'Last 4 characters, e.g. WXYZ',
  col_key: 'Key',
  col_status: 'Status',
  col_requests: 'Requests',
  col_failures: 'Failures',
  col_tokens: 'Tokens',
  col_last_used: 'Last used',
  col_last_error: 'Last error',
  col_actions: 'Actions',
  sort_by: 'Sort by {col}',
  select_page: 'Select all keys on this page',
  select_key: 'Select key {masked}',
  copy_key: 'Copy {masked}',
  chart_for_key: 'Show the chart for {masked}',
  success_rate: '{pct} success',
  failed: '{n} failed',
  tokens_split: '{p} in · {c} out',
  never: 'Never',
  empty_pool: 'No keys yet. Paste some into “Add keys” above.',
  empty_filter: 'No keys match this filter.',
  loading: 'Loading…',

  status_active: 'Active',
  status_cooling: 'Cooling',
  status_disabled: 'Disabled',
  reason_key_invalid: 'Invalid key',
  reason_key_leaked: 'Reported as leaked',
  reason_key_suspended: 'Suspended',
  reason_key_blocked: 'Blocked for this API',
  reason_manual: 'Disabled by you',
  cooldown_until: '{model} until {time}',
  cooldown_more: '+{n} more models',
  all_models: 'All models',
  grounding_of: '{model} with search grounding',

  pager_range: '{from}–{to} of {total}',
  pager_page: 'Page',
  pager_of: 'of {n}',
  pager_prev: 'Previous page',
  pager_next: 'Next page',
  pager_size: 'Rows per page',

  sel_count: { one: '{n} key selected', other: '{n} keys selected' },
  sel_check: 'Check',
  sel_enable: 'Enable',
  sel_disable: 'Disable',
  sel_delete: 'Delete',
  sel_clear: 'Clear selection',

  confirm_delete_title: { one: 'Delete {n} key?', other: 'Delete {n} keys?' },
  confirm_delete_body: 'They are removed from the pool for good. Add them again if you change your mind.',
  confirm_disable_title: { one: 'Disable {n} key?', other: 'Disable {n} keys?' },
  confirm_disable_body: 'They get no traffic until you enable them again.',
  confirm_enable_title: { one: 'Enable {n} key?', other: 'Enable {n} keys?' },
  confirm_enable_body: 'They go back into rotation and receive traffic again.',
  confirm_dead_title: { one: 'Remove {n} dead key?', other: 'Remove {n} dead keys?' },
  confirm_dead_body: 'Only keys the check found invalid, leaked, suspended or blocked are removed.',

  toast_copied: 'Copied {masked}',
  toast_copy_failed: 'Could not copy to the clipboard.',
  toast_deleted: { one: 'Deleted {n} key', other: 'Deleted {n} keys' },
  toast_updated: { one: 'Updated {n} key', other: 'Updated {n} keys' },
  toast_check_started: { one: 'Checking {n} key…', other: 'Checking {n} keys…' },
  toast_check_done: 'Check finished: {ok} OK, {limited} rate-limited, {dead} dead, {error} errors.',
  toast_network: 'Cannot reach the server: {msg}',
  toast_error: 'Error: {msg}',
};

const zh = {
  app_title: 'Gemini 密钥池',
  app_subtitle: '管理控制台',
  lang_switch: 'English',
  lang_switch_label: '切换到英文',
  logout: '退出登录',
  refresh: '刷新',
  cancel: '取消',

  login_title: '登录',
  login_lead: '输入管理令牌，即可管理密钥池。',
  login_token: '管理令牌',
  login_submit: '登录',
  login_busy: '正在登录…',
  login_hint: '在本地运行？npm start 启动时已打印令牌，并保存在 .dev.vars 文件中。',
  skip_link: '跳到主要内容',
  stats_label: '密钥池概况',
  login_wrong: '令牌不正确。',
  login_expired: '登录已过期，请重新登录。',
  login_unset_title: '尚未配置管理令牌',
  login_empty: '请先输入令牌。',
  login_retry: '重新检查',

  stat_total: '密钥总数',
  stat_active: '可用',
  stat_cooling: '冷却中',
  stat_disabled: '已停用',
  stat_requests_today: '今日请求',
  stat_errors_today: '今日错误',
  stat_share: '占全部 {pct}',
  stat_error_rate: '错误率 {pct}',
  stat_unavailable: '服务端暂未提供统计数据',
  stat_today_hint: '从太平洋时间 0 点算起，与 Gemini 每日配额的重置时间一致',

  chart_title: '请求趋势',
  chart_pool: '全部密钥',
  chart_key: '密钥 {masked}',
  chart_back: '查看全部密钥',
  chart_24h: '近 24 小时',
  chart_7d: '近 7 天',
  chart_range: '时间范围',
  chart_ok: '成功',
  chart_errors: '错误',
  chart_empty: '这段时间还没有请求。',
  chart_label: '每小时请求数与错误数',
  chart_summary: '{n} 次请求 · {e} 次错误',

  add_title: '添加密钥',
  add_help: '每行一个，或用逗号、空格分隔；也可以直接粘贴包含密钥的整段文字。',
  add_label: '要添加的密钥',
  add_placeholder: 'AIza…\nAIza…',
  add_none: '还没有识别到密钥。',
  add_found: '识别到 {n} 个密钥',
  add_repeated: '{n} 个重复',
  add_malformed: '{n} 个格式不完整（会被拒绝）',
  add_submit: '添加 {n} 个密钥',
  add_submit_none: '添加密钥',
  add_clear: '清空',
  add_busy: '正在添加… {done} / {total}',
  add_added: '新增 {n} 个',
  add_duplicates: '{n} 个已存在或重复',
  add_rejected: '拒绝 {n} 个',
  add_pool_total: '密钥池现有 {n} 个密钥。',
  add_rejected_items: '被拒绝的条目',
  add_too_many: '单次提交的条目太多，请分批粘贴。',

  check_title: '健康检查',
  check_help: '用免费请求逐个探测密钥。失效的密钥（无效、泄露、被封）只会被停用，不会被删除；仅被限流的密钥照常使用。',
  check_all: '检查全部密钥',
  check_running: '检查中… {checked} / {total}',
  check_starting: '正在启动检查…',
  check_never: '还没有做过检查。',
  check_done: '上次检查于 {when} 完成，用时 {took}。',
  dur_seconds: '{n} 秒',
  dur_minutes: '{m} 分 {s} 秒',
  check_progress: '检查进度',
  check_dead_none: '密钥池里没有失效的密钥。',
  check_dead_found: '有 {n} 个失效密钥已停用，可以删除。',
  check_dead_remove: '删除 {n} 个失效密钥',
  check_dead_more: '还有 {n} 个',
  check_kept: '被限流的密钥不会列入删除。',

  sum_ok: '正常',
  sum_rate_limited: '限流',
  sum_dead: '失效',
  sum_error: '出错',

  class_ok: '正常',
  class_key_invalid: '密钥无效',
  class_key_leaked: '已泄露',
  class_key_suspended: '已封禁',
  class_key_blocked: '被拦截',
  class_quota_minute: '每分钟限额',
  class_quota_day: '每日配额',
  class_quota_other: '其他配额',
  class_server_error: '服务端错误',
  class_unauthenticated: '未通过认证',
  class_location: '地区不受支持',
  class_client_error: '请求有误',
  class_network_error: '网络错误',
  class_deleted: '检查期间已删除',

  keys_title: '密钥列表',
  filter_all: '全部',
  filter_active: '可用',
  filter_cooling: '冷却中',
  filter_disabled: '已停用',
  filter_label: '按状态筛选',
  search_label: '按密钥末尾四位搜索',
  search_placeholder: '末尾四位，如 WXYZ',
  col_key: '密钥',
  col_status: '状态',
  col_requests: '请求数',
  col_failures: '失败数',
  col_tokens: 'Token 用量',
  col_last_used: '最近使用',
  col_last_error: '最近错误',
  col_actions: '操作',
  sort_by: '按{col}排序',
  select_page: '全选本页密钥',
  select_key: '选择密钥 {masked}',
  copy_key: '复制 {masked}',
  chart_for_key: '查看 {masked} 的趋势图',
  success_rate: '成功率 {pct}',
  failed: '失败 {n} 次',
  tokens_split: '输入 {p} · 输出 {c}',
  never: '从未使用',
  empty_pool: '还没有密钥，请在上方“添加密钥”中粘贴。',
  empty_filter: '没有符合条件的密钥。',
  loading: '加载中…',

  status_active: '可用',
  status_cooling: '冷却中',
  status_disabled: '已停用',
  reason_key_invalid: '密钥无效',
  reason_key_leaked: '被报告泄露',
  reason_key_suspended: '已被封禁',
  reason_key_blocked: '无权调用此 API',
  reason_manual: '手动停用',
  cooldown_until: '{model} 冷却至 {time}',
  cooldown_more: '另有 {n} 个模型',
  all_models: '所有模型',
  grounding_of: '{model}（搜索接地）',

  pager_range: '第 {from}–{to} 条，共 {total} 条',
  pager_page: '第',
  pager_of: '页，共 {n} 页',
  pager_prev: '上一页',
  pager_next: '下一页',
  pager_size: '每页行数',

  sel_count: '已选 {n} 个密钥',
  sel_check: '检查',
  sel_enable: '启用',
  sel_disable: '停用',
  sel_delete: '删除',
  sel_clear: '取消选择',

  confirm_delete_title: '删除 {n} 个密钥？',
  confirm_delete_body: '删除后将从密钥池中彻底移除；如需恢复，请重新添加。',
  confirm_disable_title: '停用 {n} 个密钥？',
  confirm_disable_body: '停用后不再分配请求，直到重新启用。',
  confirm_enable_title: '启用 {n} 个密钥？',
  confirm_enable_body: '启用后重新加入轮换，继续接收请求。',
  confirm_dead_title: '删除 {n} 个失效密钥？',
  confirm_dead_body: '只会删除检查判定为无效、泄露、被封或被拦截的密钥。',

  toast_copied: '已复制 {masked}',
  toast_copy_failed: '无法复制到剪贴板。',
  toast_deleted: '已删除 {n} 个密钥',
  toast_updated: '已更新 {n} 个密钥',
  toast_check_started: '正在检查 {n} 个密钥…',
  toast_check_done: '检查完成：正常 {ok}，限流 {limited}，失效 {dead}，出错 {error}。',
  toast_network: '无法连接服务器：{msg}',
  toast_error: '出错了：{msg}',
};

const dictionaries = { en, zh };
const STORAGE_KEY = 'balancer.lang';
let current = initialLang();

function initialLang() {
  let saved = null;
  try { saved = localStorage.getItem(STORAGE_KEY); } catch { /* storage may be blocked */ }
  if (saved in dictionaries) return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function lang() { return current; }

export function has(key) { return key in en; }

// For names that come from the server (outcome classes, disable reasons): a translation when
// there is one, else the name itself made readable.
export function tName(prefix, name) {
  return has(`${prefix}_${name}`) ? t(`${prefix}_${name}`) : String(name).replace(/_/g, ' ');
}

export function locale() { return current === 'zh' ? 'zh-CN' : 'en-US'; }

export function setLang(next) {
  if (!(next in dictionaries)) return;
  current = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* still switch for this visit */ }
}

const pluralRules = {};

export function t(key, vars = {}) {
  let entry = dictionaries[current][key] ?? en[key] ?? key;
  if (typeof entry === 'object') {
    pluralRules[current] ??= new Intl.PluralRules(locale());
    entry = entry[pluralRules[current].select(Number(vars.n) || 0)] ?? entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? show(vars[name]) : m));
}

const numberFormats = {};

// Numbers are grouped the local way (10,000), so callers pass raw counts.
function show(value) {
  if (typeof value !== 'number') return String(value);
  numberFormats[current] ??= new Intl.NumberFormat(locale());
  return numberFormats[current].format(value);
}

// Fills every element marked with data-i18n (text) or data-i18n-<attr> (attribute).
export function applyStatic(root = document) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('app_title')} · ${t('app_subtitle')}`;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['placeholder', 'aria-label', 'title']) {
    const data = `data-i18n-${attr}`;
    for (const el of root.querySelectorAll(`[${data}]`)) el.setAttribute(attr, t(el.getAttribute(data)));
  }
}
