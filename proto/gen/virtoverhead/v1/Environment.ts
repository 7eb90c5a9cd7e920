// Original file: proto/virtoverhead.proto


export interface Environment {
  /**
   * detect: none | kvm | qemu-tcg | vmware | ...
   */
  'virt'?: (string);
  /**
   * detect: none | docker | podman | lxc | wsl | container-other
   */
  'container'?: (string);
  /**
   * detect: usable | unusable | absent | unknown
   */
  'kvm'?: (string);
  'cpuid_signatures'?: (string)[];
  /**
   * the whole `virt-overhead detect --json` answer
   */
  'detection_json'?: (string);
  /**
   * facts from config that detection cannot know
   */
  'declared'?: ({[key: string]: string});
}

export interface Environment__Output {
  /**
   * detect: none | kvm | qemu-tcg | vmware | ...
   */
  'virt': (string);
  /**
   * detect: none | docker | podman | lxc | wsl | container-other
   */
  'container': (string);
  /**
   * detect: usable | unusable | absent | unknown
   */
  'kvm': (string);
  'cpuid_signatures': (string)[];
  /**
   * the whole `virt-overhead detect --json` answer
   */
  'detection_json': (string);
  /**
   * facts from config that detection cannot know
   */
  'declared': ({[key: string]: string});
}
