/* report_html.c - the HTML, CSS and JavaScript of `visionbatch report`. */
#include "report/report_html.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1180px;padding:0 16px;color:#1f2937;background:#f8fafc}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}"
    ".sub{color:#6b7280;margin:0 0 16px;overflow-wrap:anywhere}"
    "table{border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;width:100%}"
    "th,td{padding:5px 10px;border-bottom:1px solid #e5e7eb;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}"
    "th{background:#f1f5f9;font-weight:600;white-space:nowrap}td.n{text-align:right;white-space:nowrap}"
    "table.summary{width:auto;min-width:480px}table.summary th{width:220px}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}"
    ".chart{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:10px 12px}"
    ".chart h3{font-size:14px;margin:0 0 4px}.chart svg{width:100%;height:auto;display:block}"
    ".legend{font-size:12px;color:#374151}.legend span{margin-right:14px;white-space:nowrap}"
    ".legend i{display:inline-block;width:12px;height:3px;margin:0 5px 3px 0;"
    "vertical-align:middle}"
    ".note{font-size:12px;color:#6b7280}"
    /* names are never broken inside a word: a long one ends in an ellipsis, whole in its
     * title (a tooltip) */
    "td.name span{display:inline-block;max-width:24em;overflow:hidden;text-overflow:ellipsis;"
    "white-space:nowrap;vertical-align:bottom}"
    "table.params{width:auto;min-width:480px}table.params th{width:160px}"
    "table.params pre{margin:4px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}"
    "table.params summary{cursor:pointer}"
    ".legend i.dash{background:none!important;border-top:3px dashed}"
    "svg .grid{stroke:#e5e7eb;stroke-width:1}svg .axis{stroke:#9ca3af;stroke-width:1}"
    "svg .tick{font-size:11px;fill:#6b7280}svg .line{fill:none;stroke-width:2;"
    "stroke-linejoin:round}svg .dot{stroke:none}"
    "svg .boundary{stroke:#6b7280;stroke-width:1.5;stroke-dasharray:4 3}"
    "svg .boundary-label{font-size:10px;fill:#374151}";

/* Draws each chart from the inline data, then marks <body data-charts-rendered="N">.
 * Series the journal did not record (null throughout) are left out with a note. The y
 * axis ends at the first 1, 2, 2.5 or 5 x 10^k at or above the data (<svg data-ymax,
 * data-max>). Series marked top are drawn last (p90 dashed over a wider, paler p99 it may
 * equal); their line joins the bins no answer finished in. The x axis is run time: a dashed line marks where a resumed run begins, and no
 * series line is drawn across it. */
static const char js[] =
    "(function(){'use strict';\n"
    "var data=JSON.parse(document.getElementById('vb-data').textContent);\n"
    "var NS='http://www.w3.org/2000/svg';\n"
    "var charts=[\n"
    " {id:'c-throughput',title:'Throughput',unit:'per second',series:[\n"
    "  {key:'images_per_s',name:'images/s',color:'#2563eb'},\n"
    "  {key:'requests_per_s',name:'requests/s',color:'#16a34a'}]},\n"
    " {id:'c-latency',title:'Latency of the answers',unit:'ms',join:true,series:[\n"
    "  {key:'p50_ms',name:'p50',color:'#2563eb'},\n"
    "  {key:'p90_ms',name:'p90',color:'#f59e0b',width:2.5,dash:'7 3',top:true},\n"
    "  {key:'p99_ms',name:'p99',color:'#dc2626',width:4,opacity:0.5}]},\n"
    " {id:'c-errors',title:'Errors and 429s',unit:'per '+num(data.bin_s)+' s',series:[\n"
    "  {key:'errors',name:'errors',color:'#dc2626'},\n"
    "  {key:'rate_limited',name:'429 rate limited',color:'#f59e0b'}]},\n"
    " {id:'c-concurrency',title:'Concurrency',unit:'requests',series:[\n"
    "  {key:'in_flight',name:'in flight',color:'#2563eb'},\n"
    "  {key:'window',name:'adaptive window',color:'#f59e0b'},\n"
    "  {key:'concurrency',name:'limit (--concurrency)',color:'#6b7280'}]},\n"
    " {id:'c-rate',title:'Request rate and rate limit',unit:'per minute',series:[\n"
    "  {key:'requests_per_min',name:'requests/min sent',color:'#16a34a'},\n"
    "  {key:'rpm',name:'rate limit paced to',color:'#7c3aed'}]},\n"
    " {id:'c-cost',title:'Cumulative cost',unit:'USD',series:[\n"
    "  {key:'cost_cum',name:'spent',color:'#0f766e'}]}];\n"
    "function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)"
    "e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e;}\n"
    "function nice(m){if(!(m>0))return 1;var p=Math.pow(10,Math.floor(Math.log10(m)));"
    "var f=m/p*(1-1e-9);return(f<=1?1:f<=2?2:f<=2.5?2.5:f<=5?5:10)*p;}\n"
    "function num(v){var a=Math.abs(v);if(a>=10000)return(v/1000).toFixed(0)+'k';"
    "if(a>=100)return v.toFixed(0);if(a>=10)return v.toFixed(1).replace(/\\.0$/,'');"
    "if(a>=1)return v.toFixed(2).replace(/\\.?0+$/,'');if(v===0)return'0';"
    "return v.toPrecision(2);}\n"
    "function dur(s){if(s<10)return(Math.round(s*10)/10)+'s';s=Math.round(s);if(s<60)return s+'s';if(s<3600)return Math.floor(s/60)+"
    "'m'+(s%60?String(s%60).padStart(2,'0'):'');return Math.floor(s/3600)+'h'+"
    "String(Math.floor(s/60)%60).padStart(2,'0');}\n"
    "function draw(c){var host=document.getElementById(c.id);var W=560,H=230,L=56,R=14,T=12,"
    "B=30;var t=data.t,span=data.span>0?data.span:1,max=0,shown=[],bd=data.boundaries||[];\n"
    " c.series.forEach(function(s){var v=data.series[s.key]||[];var any=false;"
    "v.forEach(function(x){if(x!==null){any=true;if(x>max)max=x;}});if(any)shown.push(s);});\n"
    " var dmax=max;max=nice(max);var pw=W-L-R,ph=H-T-B;\n"
    " var svg=el('svg',{viewBox:'0 0 '+W+' '+H,role:'img','aria-label':c.title,"
    "'data-ymax':String(max),'data-max':String(dmax)},host);\n"
    " for(var i=0;i<=4;i++){var y=T+ph*(1-i/4);el('line',{x1:L,x2:W-R,y1:y,y2:y,"
    "'class':i?'grid':'axis'},svg);var tx=el('text',{x:L-6,y:y+4,'text-anchor':'end',"
    "'class':'tick'},svg);tx.textContent=num(max*i/4);}\n"
    " for(var j=0;j<=5;j++){var x=L+pw*j/5;var tt=el('text',{x:x,y:H-10,"
    "'text-anchor':j?(j<5?'middle':'end'):'start','class':'tick'},svg);"
    "tt.textContent=dur(span*j/5);}\n"
    " bd.forEach(function(b,i){var x=L+pw*Math.min(b/span,1);el('line',{x1:x,x2:x,y1:T,"
    "y2:T+ph,'class':'boundary'},svg);var bl=el('text',{x:x+3,y:T+10,'class':'boundary-label'},"
    "svg);bl.textContent='run '+(i+2);});\n"
    " function across(a,b){return bd.some(function(x){return x>a&&x<=b;});}\n"
    " var order=shown.filter(function(s){return!s.top;}).concat(shown.filter(function(s){"
    "return s.top;}));\n"
    " var points=0;order.forEach(function(s){var v=data.series[s.key],d='',pen=false;\n"
    "  for(var k=0,last=-1;k<t.length;k++){if(v[k]===null){if(!c.join)pen=false;continue;}\n"
    "   if(last>=0&&across(t[last],t[k]))pen=false;last=k;\n"
    "   var px=L+pw*Math.min(t[k]/span,1),py=T+ph*(1-v[k]/max);\n"
    "   d+=(pen?'L':'M')+px.toFixed(1)+' '+py.toFixed(1);pen=true;points++;\n"
    "   if(t.length<40)el('circle',{cx:px.toFixed(1),cy:py.toFixed(1),r:2.5,fill:s.color,"
    "'class':'dot'},svg);}\n"
    "  if(d){var pa={d:d,'class':'line',stroke:s.color,'data-key':s.key,"
    "'stroke-width':String(s.width||2)};if(s.dash)pa['stroke-dasharray']=s.dash;"
    "if(s.opacity)pa['stroke-opacity']=String(s.opacity);el('path',pa,svg);}});\n"
    " var lg=document.createElement('div');lg.className='legend';\n"
    " shown.forEach(function(s){var sp=document.createElement('span');"
    "var sw=document.createElement('i');sw.style.background=s.color;sw.style.borderColor=s.color;"
    "if(s.dash)sw.className='dash';sp.setAttribute('data-key',s.key);sp.appendChild(sw);"
    "sp.appendChild(document.createTextNode(s.name));lg.appendChild(sp);});\n"
    " var u=document.createElement('span');u.className='note';u.textContent=c.unit+"
    "(bd.length?', over the run time (x)':', over the run (x: time from the start)');"
    "lg.appendChild(u);host.appendChild(lg);\n"
    " if(shown.length<c.series.length){var n=document.createElement('div');n.className='note';"
    "n.textContent='No data for: '+c.series.filter(function(s){"
    "return shown.indexOf(s)<0;}).map(function(s){return s.name;}).join(', ')+'.';"
    "host.appendChild(n);}\n"
    " host.setAttribute('data-points',String(points));return points>0;}\n"
    "var n=0;charts.forEach(function(c){if(draw(c))n++;});\n"
    "document.body.setAttribute('data-charts-rendered',String(n));\n"
    "})();\n";

void report_html_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* A series value, or null where the bin has none (value < 0). */
static json_t *value_or_null(double v)
{
    return v >= 0 ? json_real(v) : json_null();
}

/* The chart data: bin middles in seconds of run time from the start, one array per
 * series, and the run boundaries. */
static json_t *report_series(const report_t *r)
{
    json_t *t = json_array(), *series = json_object();
    static const char *const keys[] = {"images_per_s", "requests_per_s", "p50_ms", "p90_ms",
                                       "p99_ms", "errors", "rate_limited", "in_flight",
                                       "window", "concurrency", "requests_per_min", "rpm",
                                       "cost_cum"};
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    json_t *arr[NKEYS];
    for (size_t k = 0; k < NKEYS; k++) {
        arr[k] = json_array();
        json_object_set_new(series, keys[k], arr[k]);
    }
    for (size_t i = 0; i < r->nbins; i++) {
        const report_bin_t *b = &r->bins[i];
        double v[NKEYS] = {b->images / r->bin_s, b->requests / r->bin_s, b->p50_ms, b->p90_ms,
                           b->p99_ms, b->errors, b->rate_limited, b->in_flight, b->window,
                           b->concurrency, b->requests / r->bin_s * 60.0,
                           b->rpm > 0 ? b->rpm : -1, b->cost_cum};
        json_array_append_new(t, json_real(((double)i + 0.5) * r->bin_s));
        for (size_t k = 0; k < NKEYS; k++)
            json_array_append_new(arr[k], value_or_null(v[k]));
    }
    json_t *boundaries = json_array(); /* where each resumed run begins, in run time */
    for (size_t g = 0; boundaries && g < r->ngaps; g++)
        json_array_append_new(boundaries, json_real(report_run_time(r, r->gaps[g].from)));
    return json_pack("{s:f, s:f, s:o, s:o, s:o}", "span", r->run_s, "bin_s", r->bin_s, "t", t,
                     "series", series, "boundaries", boundaries ? boundaries : json_null());
}

/* Writes JSON text inside a <script> element: '<', '>' and '&' as \u escapes, so no
 * string from the journal can end the element or open a comment. */
static void write_script_json(FILE *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '<')
            fputs("\\u003c", out);
        else if (*text == '>')
            fputs("\\u003e", out);
        else if (*text == '&')
            fputs("\\u0026", out);
        else
            fputc(*text, out);
    }
}

static void row(FILE *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row(FILE *out, const char *label, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    fputs("<tr><th>", out);
    report_html_escape(out, label);
    fputs("</th><td>", out);
    report_html_escape(out, value);
    fputs("</td></tr>\n", out);
}

static void write_summary(FILE *out, const report_t *r)
{
    double span = r->run_s; /* the idle time between runs is no run's */
    long paid = r->ok - r->reused;
    fputs("<h2>Summary</h2>\n<table class=\"summary\">\n", out);
    row(out, "Images", "%ld: ok %ld, failed %ld, skipped %ld%s", r->items, r->ok, r->failed,
        r->skipped, r->unfinished || r->batched ? ", some unfinished" : "");
    if (r->unfinished)
        row(out, "Unfinished", "%ld (a resume sends them)", r->unfinished);
    if (r->batched)
        row(out, "In provider batches", "%ld (a run of the same command collects them)",
            r->batched);
    if (r->reused)
        row(out, "Answered without a request", "%ld (result cache or a byte-identical copy)",
            r->reused);
    fputs("<tr><th>Failed by kind</th><td>", out);
    for (size_t i = 0; i < r->failed_kinds; i++) {
        fputs(i ? ", " : "", out);
        report_html_escape(out, r->failed_by_kind[i].kind);
        fprintf(out, " %ld", r->failed_by_kind[i].n);
    }
    fputs(r->failed_kinds ? "</td></tr>\n" : "none</td></tr>\n", out);
    row(out, "Requests", "%ld (retries %ld, rate-limited 429s %ld)", r->requests, r->retries,
        r->rate_limited);
    if (r->ngaps)
        row(out, "Run time", "%.1f s in %zu runs (%.0f s idle between them left out)", span,
            r->ngaps + 1, (r->t1 - r->t0) - span);
    else
        row(out, "Run time", "%.1f s", span);
    row(out, "Throughput", "%.2f images/s, %.2f requests/s",
        span > 0 ? (double)(r->ok + r->failed + r->skipped) / span : 0.0,
        span > 0 ? (double)r->requests / span : 0.0);
    row(out, "Latency", "p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (avg %.0f ms)",
        r->p50_ms, r->p90_ms, r->p99_ms, r->max_ms, r->avg_ms);
    row(out, "Tokens", "in %ld, out %ld", r->prompt_tokens, r->completion_tokens);
    row(out, "Cost", "$%.4f ($%.4f per 1,000 images)", r->cost_usd,
        paid > 0 ? r->cost_usd * 1000.0 / (double)paid : 0.0);
    fputs("</table>\n", out);
}

/* A table cell holding a name (an item id, an image path): on one line, ellipsed when
 * long, the whole name in the title. */
static void write_name_cell(FILE *out, const char *name)
{
    fputs("<td class=\"name\"><span title=\"", out);
    report_html_escape(out, name);
    fputs("\">", out);
    report_html_escape(out, name);
    fputs("</span></td>", out);
}

/* The longest parameter value shown inline; a longer one (a schema, a long prompt), or
 * an object or array, is folded into a <details> that opens on a click. */
#define PARAM_INLINE_MAX 120
#define PARAM_PREVIEW 60

/* One value of the job's parameters: strings as text, the rest as JSON. */
static void write_param_value(FILE *out, const json_t *v)
{
    char *dumped = NULL;
    const char *text;
    if (json_is_string(v))
        text = json_string_value(v);
    else
        text = dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        text = "?";
    if (strlen(text) <= PARAM_INLINE_MAX && !json_is_object(v) && !json_is_array(v)) {
        report_html_escape(out, text);
    } else {
        char preview[PARAM_PREVIEW * 4 + 8];
        size_t n = 0;
        for (const char *c = text; *c && n < PARAM_PREVIEW; c++) /* one line of it */
            preview[n++] = *c == '\n' ? ' ' : *c;
        while (n > 0 && ((unsigned char)preview[n - 1] & 0xC0) == 0x80)
            n--; /* not inside a UTF-8 character */
        if (n > 0 && (unsigned char)preview[n - 1] >= 0xC0)
            n--;
        snprintf(preview + n, sizeof preview - n, "...");
        fputs("<details><summary>", out);
        report_html_escape(out, preview);
        fprintf(out, " (%zu characters)</summary><pre>", strlen(text));
        report_html_escape(out, text);
        fputs("</pre></details>", out);
    }
    free(dumped);
}

/* The job's parameters as a table of name and value; a journal whose parameters are not
 * a JSON object shows them as they are. */
static void write_params(FILE *out, const char *params)
{
    json_t *o = json_loads(params, 0, NULL);
    fputs("<h2>Job parameters</h2>\n<table class=\"params\">\n"
          "<tr><th>Parameter</th><th>Value</th></tr>\n",
          out);
    if (json_is_object(o)) {
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
            fputs("<tr><th>", out);
            report_html_escape(out, key);
            fputs("</th><td>", out);
            write_param_value(out, v);
            fputs("</td></tr>\n", out);
        }
    } else {
        fputs("<tr><th>(as recorded)</th><td>", out);
        json_t *raw = json_string(params);
        if (raw)
            write_param_value(out, raw);
        else /* not UTF-8: escaped as it is */
            report_html_escape(out, params);
        json_decref(raw);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
    json_decref(o);
}

static void write_items(FILE *out, const report_item_t *items, size_t n, int slowest)
{
    fputs("<table>\n<tr><th>Item</th><th>Image</th><th>", out);
    fputs(slowest ? "Attempt" : "Attempts", out);
    fputs("</th><th>Latency</th><th>Status</th><th>Error</th></tr>\n", out);
    for (size_t i = 0; i < n; i++) {
        const report_item_t *it = &items[i];
        fputs("<tr>", out);
        write_name_cell(out, it->id);
        write_name_cell(out, it->source);
        fprintf(out, "<td class=\"n\">%d</td><td class=\"n\">", it->attempt);
        if (it->latency_ms >= 0)
            fprintf(out, "%.0f ms", it->latency_ms);
        fputs("</td><td class=\"n\">", out);
        if (it->http_status)
            fprintf(out, "%ld", it->http_status);
        fputs("</td><td>", out);
        if (it->error_kind) {
            report_html_escape(out, it->error_kind);
            fputs(": ", out);
        }
        report_html_escape(out, it->error_message);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* Unix seconds as "2026-11-25 06:00:00 UTC". */
static void format_time(char *buf, size_t len, double t)
{
    time_t s = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, len, "?");
}

int report_write_html(FILE *out, const report_t *r, const char *title)
{
    static const struct {
        const char *id, *title;
    } charts[] = {{"c-throughput", "Throughput"},       {"c-latency", "Latency percentiles"},
                  {"c-errors", "Errors and 429s"},      {"c-concurrency", "Concurrency"},
                  {"c-rate", "Rate limit"},             {"c-cost", "Cumulative cost"}};
    json_t *data = report_series(r);
    char *text = data ? json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(data);
    if (!text)
        return -1;
    char from[64], to[64];
    format_time(from, sizeof from, r->t0);
    format_time(to, sizeof to, r->t1);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>visionbatch report: ",
          out);
    report_html_escape(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>visionbatch report</h1>\n"
                 "<p class=\"sub\">",
            css);
    report_html_escape(out, title);
    fprintf(out, " &middot; %s to %s", from, to);
    fputs("</p>\n", out);
    write_summary(out, r);
    fputs("<h2>Over the run</h2>\n<div class=\"charts\">\n", out);
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++)
        fprintf(out, "<div class=\"chart\" id=\"%s\"><h3>%s</h3></div>\n", charts[i].id,
                charts[i].title);
    fputs("</div>\n", out);
    if (r->ngaps)
        fprintf(out, "<p class=\"note\">This job ran %zu times: a dashed line marks where a "
                     "resumed run begins, and the idle time between runs is left out of the "
                     "time axis and of the run time.</p>\n",
                r->ngaps + 1);
    if (!r->has_samples)
        fputs("<p class=\"note\">This journal predates limit samples: the adaptive window, the "
              "concurrency limit and the paced rate are not shown.</p>\n",
              out);
    fprintf(out, "<h2>Slowest requests (%zu)</h2>\n", r->nslowest);
    write_items(out, r->slowest, r->nslowest, 1);
    fprintf(out, "<h2>Failed items (%ld)</h2>\n", r->failed);
    if (r->nfailed)
        write_items(out, r->failed_items, r->nfailed, 0);
    else
        fputs("<p>None.</p>\n", out);
    if ((long)r->nfailed < r->failed)
        fprintf(out, "<p class=\"note\">The first %zu are shown; visionbatch export lists all.</p>\n",
                r->nfailed);
    if (r->params) /* what the job was run with, below what it did */
        write_params(out, r->params);
    fputs("<script type=\"application/json\" id=\"vb-data\">", out);
    write_script_json(out, text);
    fprintf(out, "</script>\n<script>\n%s</script>\n</body>\n</html>\n", js);
    free(text);
    return ferror(out) ? -1 : 0;
}
