/*
 * bybit_control.h — control frames (acks, pongs, auth replies): parsed
 * with jansson, since they are rare and their shapes vary by stream
 * (PROTOCOL.md §4-6).
 */
#ifndef BYBIT_CONTROL_H
#define BYBIT_CONTROL_H

#include <stddef.h>

#include <jansson.h>

enum bybit_ctl_kind {
    BYBIT_CTL_UNKNOWN = 0, /* valid JSON we have no use for          */
    BYBIT_CTL_PONG,        /* reply to {"op":"ping"}                  */
    BYBIT_CTL_AUTH,        /* reply to the auth op                    */
    BYBIT_CTL_SUBSCRIBE,   /* subscribe ack                           */
    BYBIT_CTL_UNSUBSCRIBE, /* unsubscribe ack                         */
    BYBIT_CTL_COMMAND      /* option/legacy COMMAND_RESP: op unknown  */
};

/* One parsed control frame. Strings are copies; lists borrow root. */
struct bybit_ctl {
    enum bybit_ctl_kind kind;
    int success;            /* 1 when the server says it worked        */
    char ret_msg[256];      /* ret_msg / retMsg, "" when absent         */
    char req_id[128];       /* echoed req_id, "" when absent or empty   */
    json_t *success_topics; /* COMMAND_RESP data.successTopics or NULL */
    json_t *fail_topics;    /* COMMAND_RESP data.failTopics or NULL    */
    json_t *root;           /* owned                                    */
};

/*
 * Parse and classify buf[0..len) (a JSON object without "topic").
 * Returns 0 with *c filled (free it with bybit_ctl_free), or -1 when the
 * text is not a JSON object.
 */
int bybit_ctl_parse(const char *buf, size_t len, struct bybit_ctl *c);
void bybit_ctl_free(struct bybit_ctl *c);

/*
 * The topic a failure message names ("error:handler not found,topic:X"
 * -> "X"), copied into out (cap bytes). Returns 1 when found, else 0.
 */
int bybit_failed_topic(const char *ret_msg, char *out, size_t cap);

#endif
