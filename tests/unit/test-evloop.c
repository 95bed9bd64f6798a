/* SPDX-License-Identifier: MIT */
/* Unit tests for the event loop: fd dispatch, deletion inside a callback, timers, defer. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/evloop.h"

typedef struct pair {
    int fds[2];
    int hits;
    int other_fd;
} pair;

static void on_read_delete_other(evloop *loop, int fd, uint32_t events, void *userdata) {
    pair *p = userdata;
    char c;

    p->hits++;
    assert_int_equal(read(fd, &c, 1), 1);
    /* delete the other registration: its already-fetched event must not be dispatched */
    if (p->other_fd >= 0)
        assert_int_equal(evloop_del(loop, p->other_fd), 0);
}

static void test_del_inside_callback(void **state) {
    evloop *loop;
    pair a = {.other_fd = -1}, b = {.other_fd = -1};

    (void) state;
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(pipe2(a.fds, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(pipe2(b.fds, O_NONBLOCK | O_CLOEXEC), 0);
    a.other_fd = b.fds[0];
    b.other_fd = a.fds[0];
    assert_int_equal(evloop_add(loop, a.fds[0], EPOLLIN, on_read_delete_other, &a), 0);
    assert_int_equal(evloop_add(loop, b.fds[0], EPOLLIN, on_read_delete_other, &b), 0);
    assert_int_equal(evloop_add(loop, a.fds[0], EPOLLIN, on_read_delete_other, &a), -EEXIST);
    assert_int_equal(write(a.fds[1], "x", 1), 1);
    assert_int_equal(write(b.fds[1], "y", 1), 1);
    assert_int_equal(evloop_run_once(loop, 1000), 0);
    /* exactly one of the two ran; the other was deleted before its turn */
    assert_int_equal(a.hits + b.hits, 1);
    assert_int_equal(evloop_count(loop), 1); /* the survivor is still registered */
    evloop_free(loop);
    for (int i = 0; i < 2; i++) {
        close(a.fds[i]);
        close(b.fds[i]);
    }
}

static int order[4], norder;

static void on_timer(evloop *loop, evloop_timer *t, void *userdata) {
    order[norder++] = (int) (intptr_t) userdata;
    if (norder == 3)
        evloop_quit(loop, 7);
}

static void test_timers_in_order(void **state) {
    evloop *loop;
    evloop_timer *cancel;

    (void) state;
    norder = 0;
    assert_int_equal(evloop_new(&loop), 0);
    assert_non_null(evloop_timer_add(loop, 30, on_timer, (void *) 3));
    assert_non_null(evloop_timer_add(loop, 10, on_timer, (void *) 1));
    cancel = evloop_timer_add(loop, 5, on_timer, (void *) 99);
    assert_non_null(evloop_timer_add(loop, 20, on_timer, (void *) 2));
    evloop_timer_cancel(loop, cancel);
    assert_int_equal(evloop_run(loop), 7);
    assert_int_equal(norder, 3);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 3);
    evloop_free(loop);
}

static int freed;
static void count_free(void *p) {
    freed++;
    free(p);
}

static void test_defer_runs_after_iteration(void **state) {
    evloop *loop;

    (void) state;
    freed = 0;
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(evloop_defer(loop, count_free, malloc(4)), 0);
    assert_int_equal(freed, 0);
    assert_int_equal(evloop_run_once(loop, 0), 0);
    assert_int_equal(freed, 1);
    assert_int_equal(evloop_defer(loop, count_free, malloc(4)), 0);
    evloop_free(loop); /* pending deferred work runs at free */
    assert_int_equal(freed, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_del_inside_callback),
        cmocka_unit_test(test_timers_in_order),
        cmocka_unit_test(test_defer_runs_after_iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
