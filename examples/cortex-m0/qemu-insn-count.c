/*
 * A QEMU TCG plugin that counts the guest instructions a program executes and
 * prints the count when QEMU exits: a measure of work that, unlike QEMU's
 * wall time, does not depend on the host or its load.
 *
 * Debian's QEMU 7.2 supports plugins but ships none and no header, so the few
 * declarations of QEMU's plugin API (version 1, `include/qemu/qemu-plugin.h`
 * of QEMU 7.2) are written out here.
 *
 *   gcc -shared -fPIC -O2 -o /tmp/libinsn.so qemu-insn-count.c
 *   qemu-system-arm -machine microbit -nographic \
 *     -semihosting-config enable=on,target=native -plugin /tmp/libinsn.so \
 *     -kernel target/thumbv6m-none-eabi/release/min-char-rnn-cortex-m0
 *
 * prints `instructions: N` on stderr at the end (see the microcontroller
 * chapter of the book for what it measured).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op,
                                              void *, uint64_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t count; /* one vCPU: no atomics needed */

/* Each translated block adds its number of instructions every time it runs. */
static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &count,
                                             qemu_plugin_tb_n_insns(tb));
}

static void at_exit(qemu_plugin_id_t id, void *unused) {
    (void)id;
    (void)unused;
    fprintf(stderr, "instructions: %llu\n", (unsigned long long)count);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info,
                                                               int argc, char **argv) {
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
