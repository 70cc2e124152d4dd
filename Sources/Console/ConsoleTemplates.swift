import Foundation
import Mustache

/// The console's pages as Mustache templates (escaping by default: `{{x}}` is HTML-escaped, nothing uses
/// `{{{x}}}` but the layout's already-rendered body), compiled once at start.
struct ConsoleTemplates: Sendable {
    let library: MustacheLibrary

    init() throws {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in Self.sources { templates[name] = try MustacheTemplate(string: text) }
        library = MustacheLibrary(templates: templates)
    }

    /// Renders page `name` with `values` inside the layout (navigation, who is signed in, sign-out form).
    func render(_ name: String, _ values: [String: Any], session: ConsoleSession?) throws -> String {
        var values = values
        if let session {
            values["who"] = session.actor
            values["readOnly"] = !session.canAct
            values["csrf"] = session.csrfToken ?? ""
            values["signedIn"] = true
        }
        guard let body = library.render(values, withTemplate: name) else { throw ConsoleConfigurationError("no template \(name)") }
        var layout = values
        layout["body"] = body
        layout["page_" + name] = true
        return library.render(layout, withTemplate: "layout") ?? body
    }

    static let sources: [String: String] = [
        "layout": """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · filestore console</title>
        <link rel="stylesheet" href="/admin/static/console.css"><script src="/admin/static/console.js" defer></script></head>
        <body>
        <header><a class="brand" href="/admin">filestore console</a>
        {{#signedIn}}<nav>
        <a href="/admin"{{#page_overview}} class="on"{{/page_overview}}>Overview</a>
        <a href="/admin/jobs"{{#page_jobs}} class="on"{{/page_jobs}}>Jobs</a>
        <a href="/admin/dlq"{{#page_dlq}} class="on"{{/page_dlq}}>Dead letters</a>
        <a href="/admin/schedules"{{#page_schedules}} class="on"{{/page_schedules}}>Schedules</a>
        <a href="/admin/webhooks"{{#page_webhooks}} class="on"{{/page_webhooks}}>Webhooks</a>
        <a href="/admin/erasure"{{#page_erasure}} class="on"{{/page_erasure}}>Erasure</a>
        <a href="/admin/audit"{{#page_audit}} class="on"{{/page_audit}}>Audit</a></nav>
        <span class="who">{{who}}{{#readOnly}} <span class="badge ro" id="read-only">read-only</span>{{/readOnly}}</span>
        <form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Sign out</button></form>
        {{/signedIn}}</header>
        <main>{{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
        {{{body}}}</main></body></html>
        """,
        "login": """
        <h1>Sign in</h1>
        <p>Paste a bearer token carrying <code>jobs:admin</code> (or <code>jobs:read</code> to look only), e.g. from
        <code>filestore token --scope jobs:admin</code>. The console keeps a session cookie, not the token.</p>
        <form method="post" action="/admin/login" id="login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <textarea name="token" id="token" rows="4" cols="80" required autocomplete="off"></textarea>
        <p><button type="submit" id="sign-in">Sign in</button></p></form>
        """,
        "overview": """
        <h1>Queues</h1>
        <p class="live" id="live" data-live="/admin/events">live: <span id="live-state">connecting</span> · updated <span id="live-at">{{generatedAt}}</span></p>
        <table class="grid" id="queues"><thead><tr><th>queue</th><th>available</th><th>scheduled</th><th>running</th><th>retryable</th>
        <th>discarded</th><th>oldest available</th><th>last hour done / cancelled / failed</th><th>last week done / failed</th><th>controls</th></tr></thead>
        <tbody>{{#queues}}<tr data-queue="{{name}}"><td><a href="/admin/jobs?queue={{name}}">{{name}}</a>{{#paused}} <span class="badge paused">paused</span>{{/paused}}{{#hasLimit}} <span class="badge">limit {{limit}}</span>{{/hasLimit}}</td>
        <td data-q="{{name}}" data-s="available">{{available}}</td><td data-q="{{name}}" data-s="scheduled">{{scheduled}}</td>
        <td data-q="{{name}}" data-s="running">{{running}}</td><td data-q="{{name}}" data-s="retryable">{{retryable}}</td>
        <td data-q="{{name}}" data-s="discarded">{{discarded}}</td><td data-q="{{name}}" data-s="oldest">{{oldest}}</td>
        <td>{{hourCompleted}} / {{hourCancelled}} / {{hourDiscarded}} ({{hourFailureRate}})</td><td>{{weekCompleted}} / {{weekDiscarded}} ({{weekFailureRate}})</td>
        <td>{{^readOnly}}<form method="post" action="/admin/queues/{{name}}/{{#paused}}resume{{/paused}}{{^paused}}pause{{/paused}}" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}"><button id="{{#paused}}resume{{/paused}}{{^paused}}pause{{/paused}}-{{name}}">{{#paused}}Resume{{/paused}}{{^paused}}Pause{{/paused}}</button></form>
        <form method="post" action="/admin/queues/{{name}}/limit" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <input name="limit" size="4" placeholder="limit" value="{{limit}}"><button>Set</button></form>{{/readOnly}}</td></tr>{{/queues}}
        {{^queues}}<tr><td colspan="10">No queues yet.</td></tr>{{/queues}}</tbody></table>
        """,
        "jobs": """
        <h1>Jobs</h1>
        <form method="get" action="/admin/jobs" class="filters" id="search">
        <label>state <select name="state"><option value="">any</option>{{#stateOptions}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/stateOptions}}</select></label>
        <label>queue <input name="queue" value="{{filter.queue}}" size="10"></label>
        <label>kind <input name="kind" value="{{filter.kind}}" size="12"></label>
        <label>tag <input name="tag" value="{{filter.tag}}" size="10"></label>
        <label>tenant <input name="tenant" value="{{filter.tenant}}" size="10"></label>
        <label>id <input name="id" value="{{filter.id}}" size="8"></label>
        <label>args contain <input name="args" id="args" value="{{filter.args}}" size="28" placeholder='{"file_id":"med_1"}'></label>
        <button id="find">Search</button></form>
        <form method="post" action="/admin/jobs/bulk" id="bulk">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <table class="grid" id="results"><thead><tr><th></th><th>id</th><th>state</th><th>queue</th><th>kind</th><th>attempt</th><th>created</th><th>tenant</th><th>tags</th><th>last error</th></tr></thead><tbody>
        {{#jobs}}<tr data-job="{{id}}"><td><input type="checkbox" name="id" value="{{id}}"></td><td><a href="/admin/jobs/{{id}}">{{id}}</a></td>
        <td class="state {{state}}">{{state}}</td><td>{{queue}}</td><td>{{kind}}</td><td>{{attempt}}/{{maxAttempts}}</td><td>{{createdAt}}</td><td>{{tenant}}</td><td>{{tags}}</td><td class="err">{{lastError}}</td></tr>{{/jobs}}
        {{^jobs}}<tr><td colspan="10" id="no-jobs">No job matches.</td></tr>{{/jobs}}</tbody></table>
        {{#more}}<p><a href="{{moreURL}}" id="older">Older</a></p>{{/more}}
        {{^readOnly}}<p>Selected: <select name="action">{{#actions}}<option>{{.}}</option>{{/actions}}</select> <button id="bulk-selected">Apply to selected</button></p>{{/readOnly}}
        </form>
        {{^readOnly}}<form method="post" action="/admin/jobs/bulk-filter" id="bulk-filter">
        <input type="hidden" name="csrf" value="{{csrf}}">{{#filterFields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/filterFields}}
        <p>Everything matching this search: <select name="action">{{#actions}}<option>{{.}}</option>{{/actions}}</select> <button id="bulk-dry-run">Dry run</button></p></form>{{/readOnly}}
        """,
        "job": """
        <h1>Job {{job.id}} <span class="state {{job.state}}" id="job-state">{{job.state}}</span></h1>
        <dl class="facts"><dt>kind</dt><dd>{{job.kind}}</dd><dt>queue</dt><dd>{{job.queue}}</dd><dt>attempt</dt><dd>{{job.attempt}} of {{job.maxAttempts}}</dd>
        <dt>priority</dt><dd>{{job.priority}}</dd><dt>tenant</dt><dd>{{job.tenant}}</dd><dt>tags</dt><dd>{{job.tags}}</dd><dt>unique key</dt><dd>{{job.uniqueKey}}</dd>
        <dt>trace</dt><dd>{{job.traceContext}}</dd><dt>worker</dt><dd>{{job.attemptedBy}}</dd></dl>
        <h2>Args{{#job.redacted}} <span class="badge">redacted</span>{{/job.redacted}}</h2><pre id="job-args">{{job.argsPretty}}</pre>
        <h2>Timeline</h2><ol class="timeline">{{#job.timeline}}<li><time>{{at}}</time> {{what}}</li>{{/job.timeline}}</ol>
        <h2>Attempts</h2><table class="grid"><thead><tr><th>attempt</th><th>at</th><th>error</th></tr></thead><tbody>
        {{#job.errors}}<tr><td>{{attempt}}</td><td>{{at}}</td><td class="err">{{error}}</td></tr>{{/job.errors}}{{^job.errors}}<tr><td colspan="3">No failed attempt.</td></tr>{{/job.errors}}</tbody></table>
        {{^readOnly}}<h2>Actions</h2><p>
        {{#job.actions}}<form method="post" action="/admin/jobs/{{job.id}}/{{.}}" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button id="action-{{.}}">{{.}}</button></form> {{/job.actions}}
        <form method="post" action="/admin/jobs/{{job.id}}/requeue" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button id="action-requeue">requeue as a copy</button></form></p>
        {{^job.redacted}}<form method="post" action="/admin/jobs/{{job.id}}/requeue" id="edit"><input type="hidden" name="csrf" value="{{csrf}}">
        <p>Edit args, then requeue as a copy:</p><textarea name="args" rows="6" cols="80" id="edit-args">{{job.argsPretty}}</textarea>
        <p><button id="action-edit-requeue">Requeue with these args</button></p></form>{{/job.redacted}}{{/readOnly}}
        <h2>Audit</h2><ul>{{#audit}}<li>{{at}} {{actor}} {{action}} {{detail}}</li>{{/audit}}{{^audit}}<li>No operator action yet.</li>{{/audit}}</ul>
        """,
        "confirm": """
        <h1>{{heading}}</h1>
        <p id="dry-run">Dry run: <strong id="matched">{{matched}}</strong> job(s) would be changed ({{action}}){{#capped}}, at most {{cap}} per run{{/capped}}.</p>
        <pre>{{filterJSON}}</pre>
        {{^readOnly}}<form method="post" action="{{postURL}}" id="confirm"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/fields}}<input type="hidden" name="confirm" value="1">
        <button id="run" {{^canRun}}disabled{{/canRun}}>Run on {{matched}} job(s), in batches of {{batch}}</button></form>{{/readOnly}}
        <p><a href="{{backURL}}">Back</a></p>
        """,
        "dlq": """
        <h1>Dead-letter queue</h1>
        <table class="grid" id="dlq"><thead><tr><th>kind</th><th>queue</th><th>last error</th><th>jobs</th><th>newest</th><th></th></tr></thead><tbody>
        {{#groups}}<tr><td>{{kind}}</td><td>{{queue}}</td><td class="err">{{lastError}}</td><td class="count">{{count}}</td><td><a href="/admin/jobs/{{newestID}}">{{newest}}</a></td>
        <td><a href="{{jobsURL}}">jobs</a> {{^readOnly}}<form method="post" action="/admin/dlq/replay" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="kind" value="{{kind}}"><input type="hidden" name="queue" value="{{queue}}"><input type="hidden" name="error" value="{{lastError}}">
        <button class="dlq-dry-run">Replay (dry run first)</button></form>{{/readOnly}}</td></tr>{{/groups}}
        {{^groups}}<tr><td colspan="6" id="dlq-empty">The dead-letter queue is empty.</td></tr>{{/groups}}</tbody></table>
        """,
        "schedules": """
        <h1>Schedules</h1>
        <table class="grid" id="schedules"><thead><tr><th>name</th><th>cron</th><th>kind</th><th>queue</th><th>next run</th><th>last run</th><th>last job</th><th>last success</th><th></th></tr></thead><tbody>
        {{#schedules}}<tr><td><a href="/admin/schedules/{{name}}">{{name}}</a>{{#paused}} <span class="badge paused">paused</span>{{/paused}}{{#builtin}} <span class="badge">built-in</span>{{/builtin}}</td>
        <td><code>{{cron}}</code> {{timeZone}}</td><td>{{kind}}</td><td>{{queue}}</td><td>{{nextFireAt}}</td><td>{{lastFireAt}}</td>
        <td>{{#lastJobID}}<a href="/admin/jobs/{{lastJobID}}">{{lastJobID}}</a> {{lastJobState}}{{/lastJobID}}</td><td>{{lastSuccessAt}}</td>
        <td>{{^readOnly}}<form method="post" action="/admin/schedules/{{name}}/{{#paused}}resume{{/paused}}{{^paused}}pause{{/paused}}" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>{{#paused}}resume{{/paused}}{{^paused}}pause{{/paused}}</button></form>
        <form method="post" action="/admin/schedules/{{name}}/trigger" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>trigger now</button></form>{{/readOnly}}</td></tr>{{/schedules}}
        {{^schedules}}<tr><td colspan="9">No schedule.</td></tr>{{/schedules}}</tbody></table>
        {{#ledger}}<h2>Ledger of {{ledgerName}}</h2><table class="grid" id="ledger"><thead><tr><th>fire time</th><th>outcome</th><th>reason</th><th>job</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{fireTime}}</td><td>{{outcome}}</td><td>{{reason}}</td><td>{{#jobID}}<a href="/admin/jobs/{{jobID}}">{{jobID}}</a>{{/jobID}}</td></tr>{{/entries}}</tbody></table>{{/ledger}}
        """,
        "webhooks": """
        <h1>Webhooks{{#tenant}} of {{tenant}}{{/tenant}}</h1>
        <form method="get" action="/admin/webhooks" class="filters" id="tenant-form"><label>tenant <input name="tenant" value="{{tenant}}" size="16"></label> <button>Show</button></form>
        {{^askTenant}}<h2>Endpoints</h2><table class="grid" id="endpoints"><thead><tr><th>id</th><th>url</th><th>topics</th><th>state</th><th>failing since</th></tr></thead><tbody>
        {{#endpoints}}<tr><td>{{id}}</td><td>{{url}}</td><td>{{topics}}</td><td>{{#enabled}}enabled{{/enabled}}{{^enabled}}<span class="badge paused">disabled</span> {{disabledReason}}{{/enabled}}</td>
        <td>{{#failing}}<span class="err">{{failingSince}}</span>{{/failing}}</td></tr>{{/endpoints}}{{^endpoints}}<tr><td colspan="5">No endpoint.</td></tr>{{/endpoints}}</tbody></table>
        <h2>Latest attempts of failing endpoints</h2><table class="grid" id="attempts"><thead><tr><th>at</th><th>endpoint</th><th>event</th><th>topic</th><th>attempt</th><th>status</th><th>ms</th><th>outcome</th><th>error</th></tr></thead><tbody>
        {{#attempts}}<tr><td>{{at}}</td><td>{{endpoint}}</td><td>{{event}}</td><td>{{topic}}</td><td>{{attempt}}</td><td>{{status}}</td><td>{{latencyMs}}</td><td>{{outcome}}</td><td class="err">{{error}}</td></tr>{{/attempts}}
        {{^attempts}}<tr><td colspan="9">No failing endpoint.</td></tr>{{/attempts}}</tbody></table>
        <h2>Dead deliveries</h2><table class="grid" id="dead"><thead><tr><th>#</th><th>endpoint</th><th>event</th><th>topic</th><th>attempts</th><th>created</th></tr></thead><tbody>
        {{#dead}}<tr><td>{{id}}</td><td>{{endpoint}}</td><td>{{event}}</td><td>{{topic}}</td><td>{{attempts}}</td><td>{{createdAt}}</td></tr>{{/dead}}{{^dead}}<tr><td colspan="6">No dead delivery.</td></tr>{{/dead}}</tbody></table>
        {{#hasDead}}{{^readOnly}}<form method="post" action="/admin/webhooks/replay" id="webhook-replay"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="tenant" value="{{tenant}}">
        <button>Replay dead deliveries (dry run first)</button></form>{{/readOnly}}{{/hasDead}}{{/askTenant}}
        """,
        "erasure": """
        <h1>Erasure requests{{#tenant}} of {{tenant}}{{/tenant}}</h1>
        <form method="get" action="/admin/erasure" class="filters" id="tenant-form"><label>tenant <input name="tenant" value="{{tenant}}" size="16"></label> <button>Show</button></form>
        {{^askTenant}}<table class="grid" id="erasure-requests"><thead><tr><th>id</th><th>state</th><th>scope</th><th>subject hash</th><th>reference</th><th>received</th><th>due</th><th>files found / erased / kept</th><th>attempts</th><th>last error</th><th>receipt</th></tr></thead><tbody>
        {{#requests}}<tr data-request="{{id}}"><td>{{id}}</td><td>{{state}}{{#overdue}} <span class="badge paused">overdue</span>{{/overdue}}</td><td>{{scope}}</td><td><code>{{subjectHash}}…</code></td><td>{{reference}}</td><td>{{receivedAt}}</td><td>{{dueAt}}</td>
        <td>{{total}} / {{erased}} / {{kept}}</td><td>{{attempts}}</td><td class="err">{{lastError}}</td><td>{{#hasReceipt}}<a href="/admin/erasure/{{id}}?tenant={{tenant}}">receipt</a>{{/hasReceipt}}</td></tr>{{/requests}}
        {{^requests}}<tr><td colspan="11">No erasure request.</td></tr>{{/requests}}</tbody></table>
        <p>Requests are made by the tenant's compliance:admin (<code>POST /v1/erasure-requests</code>); see docs/COMPLIANCE.md.</p>{{/askTenant}}
        """,
        "receipt": """
        <h1>{{title}}</h1>
        <p><a href="/admin/erasure?tenant={{tenant}}">← erasure requests of {{tenant}}</a></p>
        {{#pending}}<p id="receipt-pending">State {{state}}: the receipt is written when the request finishes.</p>{{/pending}}
        {{^pending}}<p id="receipt-summary">{{state}} at {{completedAt}} — subject hash <code>{{subjectHash}}</code>, reason “{{reason}}”; {{itemCount}} items;
        signed by key <code>{{keyID}}</code> (Ed25519, <code>{{signature}}…</code>). Verify it offline: <code>filestore erasure verify receipt.json --keys keys.json</code>.</p>
        <h2>Stores</h2><table class="grid" id="receipt-stores"><thead><tr><th>store</th><th>deleted</th><th>overwritten</th><th>kept</th></tr></thead><tbody>
        {{#stores}}<tr><td>{{store}}</td><td>{{deleted}}</td><td>{{overwritten}}</td><td>{{kept}}</td></tr>{{/stores}}</tbody></table>
        <h2>Kept, with their legal basis</h2><table class="grid" id="receipt-exceptions"><thead><tr><th>store</th><th>item</th><th>basis</th></tr></thead><tbody>
        {{#exceptions}}<tr><td>{{store}}</td><td>{{item}}</td><td>{{basis}}</td></tr>{{/exceptions}}{{^hasExceptions}}<tr><td colspan="3">Nothing was kept.</td></tr>{{/hasExceptions}}</tbody></table>
        <h2>Items</h2><table class="grid" id="receipt-items"><thead><tr><th>store</th><th>item</th><th>method</th><th>verification</th></tr></thead><tbody>
        {{#items}}<tr><td>{{store}}</td><td>{{item}}</td><td>{{method}}</td><td>{{verification}}</td></tr>{{/items}}</tbody></table>
        {{#itemsCapped}}<p>The first 500 items; the whole receipt: <code>GET /admin/api/erasure/{{id}}?tenant={{tenant}}</code> or <code>GET /v1/erasure-requests/{{id}}</code>.</p>{{/itemsCapped}}{{/pending}}
        """,
        "audit": """
        <h1>Audit</h1>
        <table class="grid" id="audit"><thead><tr><th>#</th><th>at</th><th>who</th><th>action</th><th>target</th><th>filter</th><th>matched</th><th>done</th><th>status</th><th>detail</th></tr></thead><tbody>
        {{#entries}}<tr data-audit="{{id}}"><td>{{id}}</td><td>{{at}}</td><td>{{actor}}</td><td class="action">{{action}}</td><td>{{target}}</td><td><code>{{filter}}</code></td><td>{{matched}}</td><td class="done">{{done}}</td><td class="status">{{status}}</td><td>{{detail}}</td></tr>{{/entries}}
        {{^entries}}<tr><td colspan="10">No operator action yet.</td></tr>{{/entries}}</tbody></table>
        """,
    ]
}
