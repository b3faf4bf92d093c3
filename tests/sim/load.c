/*
 * Scheduling and the send loop.
 *
 * Each subscription owes frames according to --rate (or all it can with
 * --rate max) until --count events or --duration seconds.  On WRITEABLE we
 * pack queued control frames and then as many data frames as fit into one
 * 64 KiB chunk of complete, pre-framed WebSocket frames and hand it to
 * lws_write(LWS_WRITE_RAW): one syscall carries hundreds of small frames,
 * which is what lets one connection exceed 200k frames/s.  lws buffers a
 * partial send itself; we stop when the pipe is choked and ask for another
 * WRITEABLE.  No permessage-deflate is offered, so raw frames are valid.
 */
#include "sim.h"

#include <string.h>
#include <sys/socket.h>

#define ROUNDS_PER_WRITEABLE 32 /* then yield to other connections */

static uint64_t sub_due(const struct sub *s, uint64_t mono)
{
    if (s->ti.fam == TF_DCP) /* DCP has no data payload */
        return 0;
    if (g_cfg.count && s->events >= g_cfg.count)
        return 0;
    uint64_t elapsed = mono - s->start_mono;
    if (g_cfg.duration > 0 && (double)elapsed > g_cfg.duration * 1e9)
        return 0;
    if (g_cfg.rate_max)
        return UINT64_MAX;
    /* first frame right after the ack; wallet has no snapshot on subscribe */
    uint64_t target = (uint64_t)((double)elapsed * g_cfg.rate / 1e9) +
                      (s->ti.fam == TF_WALLET ? 0 : 1);
    return target > s->frames ? target - s->frames : 0;
}

static int any_due(const struct conn *c)
{
    if (c->stall_data)
        return 0;
    uint64_t mono = mono_ns();
    for (const struct sub *s = c->subs; s; s = s->next)
        if (sub_due(s, mono))
            return 1;
    return 0;
}

/* append one data frame of s to the chunk */
static struct obuf g_payload, g_chunk;
struct obuf *load_buffers[2] = {&g_payload, &g_chunk};

static void put_data_frame(struct conn *c, struct sub *s, struct obuf *chunk)
{
    struct obuf payload = g_payload;
    payload.len = 0;
    gen_frame(c, s, &payload);
    g_payload = payload; /* keep the grown buffer for the next frame */
    if (!payload.len)
        return;
    frame_header(chunk, 0x1, payload.len);
    ob_put(chunk, payload.p, payload.len);
    c->total_frames++;
}

static void fill_data(struct conn *c, struct obuf *chunk, size_t limit)
{
    int progress = 1;
    while (progress && chunk->len < limit) {
        progress = 0;
        uint64_t mono = mono_ns();
        for (struct sub *s = c->subs; s && chunk->len < limit; s = s->next) {
            if (!sub_due(s, mono))
                continue;
            put_data_frame(c, s, chunk);
            progress = 1;
        }
    }
}

static void fill_queue(struct conn *c, struct obuf *chunk, size_t limit)
{
    while (c->q_head && chunk->len < limit) {
        struct outq *q = c->q_head;
        ob_put(chunk, (const char *)q->data, q->len);
        c->q_head = q->next;
        if (!c->q_head)
            c->q_tail = NULL;
        free(q);
    }
}

/*
 * SO_LINGER {1,0} makes close() send RST, but lws shuts the socket down for
 * writing (FIN) before it closes it, so the peer would see an orderly end
 * first.  connect(AF_UNSPEC) disconnects a TCP socket at once, with RST
 * when it is established (Linux tcp_disconnect); lws then closes a dead fd.
 */
static void abort_with_reset(struct conn *c)
{
    struct linger lg = {1, 0};
    struct sockaddr sa;
    int fd = (int)lws_get_socket_fd(c->wsi);
    if (fd < 0)
        return;
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
        LOG_ERR("conn %u: SO_LINGER failed", c->id);
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNSPEC;
    if (connect(fd, &sa, sizeof(sa)))
        LOG_ERR("conn %u: disconnect for the reset failed", c->id);
}

int load_writable(struct conn *c)
{
    struct obuf chunk = g_chunk;

    if (c->pending_reset) {
        abort_with_reset(c);
        return -1;
    }
    if (c->pending_close) {
        lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)"simulated close", 15);
        return -1;
    }
    for (int round = 0; round < ROUNDS_PER_WRITEABLE; round++) {
        chunk.len = 0;
        ob_reserve(&chunk, LWS_PRE + SIM_CHUNK + 1024);
        chunk.len = LWS_PRE;
        fill_queue(c, &chunk, LWS_PRE + SIM_CHUNK);
        if (!c->stall_data)
            fill_data(c, &chunk, LWS_PRE + SIM_CHUNK);
        g_chunk = chunk;
        if (chunk.len == LWS_PRE)
            break;
        size_t n = chunk.len - LWS_PRE;
        if (lws_write(c->wsi, (unsigned char *)chunk.p + LWS_PRE, n,
                      LWS_WRITE_RAW) < 0) {
            LOG_DBG("conn %u: write failed", c->id);
            return -1;
        }
        if (lws_send_pipe_choked(c->wsi))
            break;
    }
    if (c->q_head || any_due(c))
        lws_callback_on_writable(c->wsi);
    return 0;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct conn *c = lws_container_of(sul, struct conn, sul);
    if (!c->open)
        return;
    if (any_due(c))
        lws_callback_on_writable(c->wsi);
    load_arm(c);
}

void load_arm(struct conn *c)
{
    if (!c->open || !c->subs)
        return;
    lws_usec_t us = 100000;
    if (!g_cfg.rate_max && g_cfg.rate > 0) {
        us = (lws_usec_t)(1e6 / g_cfg.rate);
        if (us < 1000)
            us = 1000;
        if (us > 100000)
            us = 100000;
    }
    lws_sul_schedule(g_ctx, 0, &c->sul, tick, us);
}

void load_stop(struct conn *c)
{
    lws_sul_cancel(&c->sul);
}

void load_cleanup(void)
{
    /* the buffers of the send loop live until exit */
    for (int i = 0; i < 2; i++)
        if (load_buffers[i])
            ob_free(load_buffers[i]);
}
