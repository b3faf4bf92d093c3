/*
 * Data generator: keeps per-subscription market state (price, order book,
 * kline candle, sequence numbers) and renders one frame from the compiled
 * template of the topic.  This is the hot path of the load mode: integer
 * arithmetic and memcpy only.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CHANGES 8

struct change {
    int k;
    int64_t size;
};

/* everything a slot may need while one frame is rendered */
struct rctx {
    struct sub *s;
    const struct symbol *sym;
    enum category cat;
    uint64_t send_ns;
    uint64_t ts;  /* envelope ms */
    uint64_t seq; /* event seq of the message or current trade */
    int64_t px;   /* price ticks of this message (or trade) */
    int snapshot;
    struct change ch[2][MAX_CHANGES];
    int nch[2];
};

static void render(const struct tmpl *t, struct rctx *r, struct obuf *b);

/* ---- market state ---- */

static int64_t rand_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(sim_rand() % (uint64_t)(hi - lo + 1));
}

/* random walk within +-0.5% of the reference mid */
static void step_price(struct sub *s)
{
    int64_t band = s->sym.mid / 200 + 1;
    s->prev_px = s->last_px;
    s->last_px += rand_range(-3, 3);
    if (s->last_px > s->sym.mid + band)
        s->last_px = s->sym.mid + band;
    if (s->last_px < s->sym.mid - band)
        s->last_px = s->sym.mid - band;
    if (s->last_px < 1)
        s->last_px = 1;
}

static int64_t rand_qty(const struct symbol *sym)
{
    int64_t unit = 1;
    for (int i = 0; i < sym->qdec && i < 3; i++)
        unit *= 10;
    return rand_range(1, 50 * unit);
}

static void book_init(struct sub *s)
{
    int d = s->ti.depth;
    s->book.depth = d;
    for (int side = 0; side < 2; side++) {
        s->book.size[side] = calloc((size_t)d, sizeof(int64_t));
        for (int k = 0; k < d; k++)
            s->book.size[side][k] = rand_qty(&s->sym);
    }
}

/* pick a few levels to change; size 0 deletes, absent levels get inserted */
static void book_delta(struct sub *s, struct rctx *r)
{
    int n = 1 + (int)(sim_rand() % 4);
    for (int i = 0; i < n; i++) {
        int side = (int)(sim_rand() & 1);
        int span = s->book.depth < 10 ? s->book.depth : 10;
        int k = (int)(sim_rand() % (unsigned)span);
        int dup = 0;
        for (int j = 0; j < r->nch[side]; j++)
            dup |= r->ch[side][j].k == k;
        if (dup || r->nch[side] >= MAX_CHANGES)
            continue;
        int64_t *lvl = &s->book.size[side][k];
        /* keep the top level populated so the book never looks crossed */
        if (*lvl && k > 0 && sim_rand() % 5 == 0)
            *lvl = 0;
        else
            *lvl = rand_qty(&s->sym);
        /* insertion sort by k: bids descend and asks ascend in price */
        int pos = r->nch[side]++;
        while (pos > 0 && r->ch[side][pos - 1].k > k) {
            r->ch[side][pos] = r->ch[side][pos - 1];
            pos--;
        }
        r->ch[side][pos].k = k;
        r->ch[side][pos].size = *lvl;
    }
}

static int64_t level_price(const struct sub *s, int side, int k)
{
    return side == 0 ? s->sym.mid - 1 - k : s->sym.mid + 1 + k;
}

static void put_level(struct obuf *b, const struct sub *s, int side, int k,
                      int64_t size)
{
    ob_put(b, "[\"", 2);
    ob_fixed(b, level_price(s, side, k), s->sym.pdec);
    ob_put(b, "\",\"", 3);
    ob_fixed(b, size, s->sym.qdec);
    ob_put(b, "\"]", 2);
}

static void put_side(struct obuf *b, const struct sub *s, struct rctx *r,
                     int side)
{
    ob_putc(b, '[');
    int first = 1;
    if (r->snapshot) {
        for (int k = 0; k < s->book.depth; k++) {
            if (!s->book.size[side][k])
                continue;
            if (!first)
                ob_putc(b, ',');
            first = 0;
            put_level(b, s, side, k, s->book.size[side][k]);
        }
    } else {
        for (int i = 0; i < r->nch[side]; i++) {
            if (i)
                ob_putc(b, ',');
            put_level(b, s, side, r->ch[side][i].k, r->ch[side][i].size);
        }
    }
    ob_putc(b, ']');
}

/* ---- small value helpers ---- */

static void put_uuid(struct obuf *b)
{
    static const char hex[] = "0123456789abcdef";
    static const int groups[] = {8, 4, 4, 4, 12};
    char tmp[40];
    int n = 0;
    for (int g = 0; g < 5; g++) {
        if (g)
            tmp[n++] = '-';
        for (int i = 0; i < groups[g]; i++)
            tmp[n++] = hex[sim_rand() & 15];
    }
    ob_putc(b, '"');
    ob_put(b, tmp, (size_t)n);
    ob_putc(b, '"');
}

static void put_tag(struct obuf *b, uint64_t seq, uint64_t ns)
{
    ob_putc(b, '"');
    ob_u64(b, seq);
    ob_putc(b, '-');
    ob_u64(b, ns);
    ob_putc(b, '"');
}

static void put_price(struct obuf *b, const struct symbol *sym, int64_t px)
{
    ob_putc(b, '"');
    ob_fixed(b, px, sym->pdec);
    ob_putc(b, '"');
}

static void put_trade_id(struct obuf *b, struct rctx *r)
{
    static uint64_t spot_id = 2200000000067341890ull;
    if (g_cfg.tag) {
        put_tag(b, r->seq, r->send_ns);
    } else if (r->s->ti.fam == TF_TRADE && r->sym && r->cat == CAT_SPOT) {
        ob_putc(b, '"');
        ob_u64(b, ++spot_id);
        ob_putc(b, '"');
    } else {
        put_uuid(b);
    }
}

static void put_tickdir(struct obuf *b, const struct sub *s)
{
    static const char *dirs[] = {"\"MinusTick\"", "\"ZeroMinusTick\"",
                                 "\"ZeroPlusTick\"", "\"PlusTick\""};
    int d = s->last_px > s->prev_px   ? 3
            : s->last_px < s->prev_px ? 0
                                      : (sim_rand() & 1) + 1;
    ob_puts(b, dirs[d]);
}

/* ---- slots ---- */

static void put_items(struct obuf *b, const struct tmpl *t, struct rctx *r)
{
    struct sub *s = r->s;
    int n = 1;
    if (s->ti.fam == TF_TRADE) {
        n = g_cfg.batch;
        if (g_cfg.count && s->events + (uint64_t)n > g_cfg.count)
            n = (int)(g_cfg.count - s->events);
    }
    ob_putc(b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            ob_putc(b, ',');
        r->seq = ++s->events;
        if (s->ti.fam == TF_TRADE) {
            step_price(s);
            r->px = s->last_px;
        }
        render(t->item, r, b);
    }
    ob_putc(b, ']');
}

static void put_slot(struct obuf *b, int slot, const struct tmpl *t,
                     struct rctx *r)
{
    struct sub *s = r->s;
    const struct symbol *sym = r->sym;
    switch (slot) {
    case SL_TOPIC:
        ob_jstr(b, s->topic);
        break;
    case SL_TS:
        ob_u64(b, r->ts);
        break;
    case SL_TS_STR:
        ob_putc(b, '"');
        ob_u64(b, r->ts);
        ob_putc(b, '"');
        break;
    case SL_CTS:
        ob_u64(b, r->ts - 2);
        break;
    case SL_CS:
        ob_u64(b, s->cs);
        break;
    case SL_OPT_ID:
        ob_putc(b, '"');
        ob_puts(b, s->topic);
        ob_putc(b, '-');
        ob_u64(b, s->cs);
        ob_putc(b, '-');
        ob_u64(b, r->ts);
        ob_putc(b, '"');
        break;
    case SL_PRIV_ID:
        put_uuid(b);
        break;
    case SL_SYM:
        ob_jstr(b, sym->name);
        break;
    case SL_BIDS:
        put_side(b, s, r, 0);
        break;
    case SL_ASKS:
        put_side(b, s, r, 1);
        break;
    case SL_U:
        ob_u64(b, s->u);
        break;
    case SL_XSEQ:
        ob_u64(b, s->xseq);
        break;
    case SL_TRADE_T:
        ob_u64(b, r->ts - 3);
        break;
    case SL_PRICE:
        put_price(b, sym, r->px);
        break;
    case SL_BID:
        put_price(b, sym, r->px - 1);
        break;
    case SL_ASK:
        put_price(b, sym, r->px + 1);
        break;
    case SL_MARK:
        put_price(b, sym, r->px + (int64_t)(sim_rand() % 3) - 1);
        break;
    case SL_QTY:
        ob_putc(b, '"');
        ob_fixed(b, rand_qty(sym), sym->qdec);
        ob_putc(b, '"');
        break;
    case SL_SIDE:
        ob_puts(b, sim_rand() & 1 ? "\"Buy\"" : "\"Sell\"");
        break;
    case SL_TRADE_ID:
        put_trade_id(b, r);
        break;
    case SL_TICKDIR:
        put_tickdir(b, s);
        break;
    case SL_KSTART:
        ob_u64(b, s->k_start);
        break;
    case SL_KEND:
        ob_u64(b, s->k_start + s->ti.kline_ms - 1);
        break;
    case SL_OPEN:
        put_price(b, sym, s->k_open);
        break;
    case SL_HIGH:
        put_price(b, sym,
                  s->ti.fam == TF_KLINE ? s->k_high : sym->mid + sym->mid / 50);
        break;
    case SL_LOW:
        put_price(b, sym,
                  s->ti.fam == TF_KLINE ? s->k_low : sym->mid - sym->mid / 50);
        break;
    case SL_PRICE_UP:
        put_price(b, sym, sym->mid + sym->mid / 20);
        break;
    case SL_PRICE_DN:
        put_price(b, sym, sym->mid - sym->mid / 20);
        break;
    case SL_CATEGORY:
        ob_jstr(b, category_name(r->cat));
        break;
    case SL_UUID:
        put_uuid(b);
        break;
    case SL_SIM:
        put_tag(b, r->seq, r->send_ns);
        break;
    case SL_ITEMS:
        put_items(b, t, r);
        break;
    case SL_UNDERLYING:
        put_price(b, &s->under, s->under.mid);
        break;
    case SL_KINTERVAL:
        ob_jstr(b, s->ti.kline_iv);
        break;
    default:
        break;
    }
}

static void render(const struct tmpl *t, struct rctx *r, struct obuf *b)
{
    for (int i = 0; i < t->nseg; i++) {
        const struct seg *sg = &t->segs[i];
        ob_put(b, sg->lit, sg->litlen);
        if (sg->slot != SL_NONE)
            put_slot(b, sg->slot, t, r);
    }
}

/* ---- per-frame state transitions ---- */

static void advance_kline(struct sub *s, uint64_t ts)
{
    uint64_t start = ts - ts % s->ti.kline_ms;
    if (start != s->k_start) {
        s->k_start = start;
        s->k_open = s->k_high = s->k_low = s->last_px;
    }
    if (s->last_px > s->k_high)
        s->k_high = s->last_px;
    if (s->last_px < s->k_low)
        s->k_low = s->last_px;
}

static enum category next_category(struct sub *s)
{
    for (int i = 0; i < CAT__COUNT; i++) {
        enum category c = (enum category)(s->cat_rr++ % CAT__COUNT);
        if (s->ti.cats & (1u << c))
            return c;
    }
    return CAT_LINEAR;
}

static const struct tmpl *pick(struct conn *c, struct sub *s, struct rctx *r)
{
    enum family f = s->ti.fam;
    enum variant v = TV_SNAPSHOT;
    if (family_is_private(f)) {
        r->cat = s->ti.cats ? next_category(s) : CAT_LINEAR;
        r->sym = &s->psym[r->cat];
        r->snapshot = 1;
        return template_get(ST_PRIVATE, f, TV_SNAPSHOT, r->cat);
    }
    r->cat = c->st == ST_SPOT ? CAT_SPOT : CAT_LINEAR;
    /* level 1 books and spot/option tickers are snapshots every time */
    if (s->snapshot_sent && !(f == TF_ORDERBOOK && s->ti.depth == 1) &&
        !(f == TF_TICKER && (c->st == ST_SPOT || c->st == ST_OPTION)))
        v = TV_DELTA;
    const struct tmpl *t = template_get(c->st, f, v, CAT_LINEAR);
    if (!t && v == TV_DELTA) {
        v = TV_SNAPSHOT;
        t = template_get(c->st, f, v, CAT_LINEAR);
    }
    r->snapshot = v == TV_SNAPSHOT;
    return t;
}

void gen_frame(struct conn *c, struct sub *s, struct obuf *b)
{
    struct rctx r;
    memset(&r, 0, sizeof(r));
    r.s = s;
    r.sym = &s->sym;
    r.send_ns = now_ns();
    r.ts = r.send_ns / 1000000ull;
    const struct tmpl *t = pick(c, s, &r);
    if (!t)
        return;
    if (s->ti.fam != TF_TRADE)
        step_price(s);
    if (family_is_private(s->ti.fam))
        r.px = r.sym->mid + rand_range(-5, 5);
    else
        r.px = s->last_px;
    s->xseq += 1 + sim_rand() % 40;
    s->cs += 1 + sim_rand() % 20;
    if (s->ti.fam == TF_ORDERBOOK) {
        s->u += s->snapshot_sent ? 1 : 0;
        if (s->skip_u) { /* fault: a gap the client must detect */
            s->u++;
            s->skip_u = 0;
        }
        /* snapshot-only books (level 1) still move between messages */
        if (!r.snapshot || s->snapshot_sent)
            book_delta(s, &r);
    } else if (s->ti.fam == TF_KLINE) {
        advance_kline(s, r.ts);
    }
    if (!t->item)
        r.seq = ++s->events;
    render(t, &r, b);
    s->snapshot_sent = 1;
    s->frames++;
}

void gen_sub_init(struct conn *c, struct sub *s)
{
    const char *name = s->ti.symbol;
    char optname[96];
    if (c->st == ST_OPTION && s->ti.fam == TF_TRADE) {
        /* option trades are per base coin; report a contract of that coin */
        snprintf(optname, sizeof(optname), "%s-27DEC25-%s-C", name,
                 strcmp(name, "BTC") == 0   ? "100000"
                 : strcmp(name, "ETH") == 0 ? "4000"
                                            : "200");
        name = optname;
    }
    symbol_info(*name ? name : "BTCUSDT", &s->sym);
    /* an option's underlying: BTC-27DEC25-100000-C -> BTCUSDT */
    char base[80];
    snprintf(base, sizeof(base), "%.*sUSDT", (int)strcspn(name, "-"), name);
    symbol_info(base, &s->under);
    for (int cat = 0; cat < CAT__COUNT; cat++)
        symbol_info(symbol_for_category((enum category)cat, (unsigned)c->id),
                    &s->psym[cat]);
    s->last_px = s->prev_px = s->sym.mid;
    s->u = 1000000 + sim_rand() % 9000000;
    s->xseq = 10000000000ull + sim_rand();
    s->cs = 20000000000ull + sim_rand();
    if (s->ti.fam == TF_ORDERBOOK)
        book_init(s);
}

void gen_sub_free(struct sub *s)
{
    free(s->book.size[0]);
    free(s->book.size[1]);
    s->book.size[0] = s->book.size[1] = NULL;
}
