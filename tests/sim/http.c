/*
 * Minimal HTTP replies for lws: headers are written from the HTTP callback,
 * the body from HTTP_WRITEABLE (lws allows one write per writeable).
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

int http_reply(struct lws *wsi, struct http_pss *h, int code, char *body)
{
    unsigned char buf[LWS_PRE + 512];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf);

    free(h->body_out);
    h->body_out = body;
    h->out_len = strlen(body);
    h->code = code;
    if (lws_add_http_common_headers(wsi, (unsigned)code, "application/json",
                                    h->out_len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

int http_reply_json(struct lws *wsi, struct http_pss *h, int code, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return -1;
    /* a trailing newline keeps curl output line-friendly */
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return -1;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return http_reply(wsi, h, code, t);
}

int http_writeable(struct lws *wsi, struct http_pss *h)
{
    if (!h->body_out)
        return 0;
    size_t n = h->out_len;
    unsigned char *buf = malloc(LWS_PRE + n + 1);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, h->body_out, n);
    int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
    free(buf);
    free(h->body_out);
    h->body_out = NULL;
    if (w < (int)n)
        return -1;
    /* keep-alive: be ready for the next request on this connection */
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

void http_pss_free(struct http_pss *h)
{
    free(h->body_out);
    h->body_out = NULL;
    ob_free(&h->body_in);
}
