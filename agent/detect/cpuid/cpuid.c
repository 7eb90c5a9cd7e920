/*
 * cpuid: tiny helper for `virt-overhead detect`.
 * Node cannot execute CPUID or KVM ioctls, so this prints raw readings and the TypeScript
 * side interprets them (keeping all decisions in one testable place).
 *
 *   cpuid                      hypervisor leaves 0x40000000..0x40010000 (every 0x100)
 *   cpuid --kvm-probe [DEV]    also probe DEV (default /dev/kvm): open, API version,
 *                              create VM, create vCPU, run a 5-byte real-mode program
 *
 * Output (one fact a line):
 *   hypervisor_bit 0|1
 *   leaf 0x40000000 EAX EBX ECX EDX     (hex; leaves whose four registers are all 0 are left out)
 *   kvm open ok|fail ERRNO_NAME message
 *   kvm api_version N | kvm api_version fail ...
 *   kvm create_vm ok|fail ...   kvm create_vcpu ok|fail ...   kvm run ok|fail ...
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

static void leaves(void) {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  printf("hypervisor_bit %u\n", (c >> 31) & 1u);
  for (unsigned leaf = 0x40000000u; leaf <= 0x40010000u; leaf += 0x100u) {
    __cpuid(leaf, a, b, c, d);
    if (a | b | c | d) printf("leaf 0x%08x %08x %08x %08x %08x\n", leaf, a, b, c, d);
  }
}

static int fail(const char *step) {
  printf("kvm %s fail %d %s\n", step, errno, strerror(errno));
  return 0;
}

/* Each step only runs if the one before succeeded; the TypeScript side maps the last
 * successful step to a verdict level. */
static int kvm_probe(const char *dev) {
  int kvm = open(dev, O_RDWR | O_CLOEXEC);
  if (kvm < 0) return fail("open");
  printf("kvm open ok\n");
  int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
  if (api < 0) return fail("api_version");
  printf("kvm api_version %d\n", api);
  if (api != KVM_API_VERSION) {
    printf("kvm api_version fail 0 unexpected version %d (want %d)\n", api, KVM_API_VERSION);
    return 0;
  }
  int vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
  if (vm < 0) return fail("create_vm");
  printf("kvm create_vm ok\n");

  /* One page of guest memory holding: mov al,0x42; out 0x10,al; hlt */
  const uint8_t code[] = {0xb0, 0x42, 0xe6, 0x10, 0xf4};
  uint8_t *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return fail("guest_memory");
  memcpy(mem, code, sizeof code);
  struct kvm_userspace_memory_region region = {
      .slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000, .userspace_addr = (uint64_t)(uintptr_t)mem};
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("guest_memory");

  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
  if (vcpu < 0) return fail("create_vcpu");
  printf("kvm create_vcpu ok\n");

  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size < 0) return fail("run");
  struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) return fail("run");
  struct kvm_sregs sregs;
  if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("run");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("run");
  struct kvm_regs regs = {.rip = 0x1000, .rflags = 0x2};
  if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail("run");

  int saw_out = 0;
  for (int i = 0; i < 4; i++) {
    if (ioctl(vcpu, KVM_RUN, 0) < 0) return fail("run");
    if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x10 &&
        *((uint8_t *)run + run->io.data_offset) == 0x42) {
      saw_out = 1;
      continue;
    }
    if (run->exit_reason == KVM_EXIT_HLT && saw_out) {
      printf("kvm run ok\n");
      return 1;
    }
    printf("kvm run fail 0 unexpected exit reason %u\n", run->exit_reason);
    return 0;
  }
  printf("kvm run fail 0 guest did not halt\n");
  return 0;
}

int main(int argc, char **argv) {
  leaves();
  if (argc >= 2 && strcmp(argv[1], "--kvm-probe") == 0) kvm_probe(argc >= 3 ? argv[2] : "/dev/kvm");
  else if (argc >= 2) {
    fprintf(stderr, "usage: %s [--kvm-probe [DEVICE]]\n", argv[0]);
    return 2;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
