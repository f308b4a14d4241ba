package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NetworkAddressTest {
  @Test
  void literalsAreParsedAndAnythingElseIsRefusedWithoutALookup() {
    assertThat(NetworkAddress.parse("192.168.1.7")).containsExactly(192, 168, 1, 7);
    assertThat(NetworkAddress.parse("::1")).hasSize(16).endsWith(1);
    assertThat(NetworkAddress.parse("::ffff:1.2.3.4"))
        .as("IPv4-mapped stays IPv6")
        .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4);
    for (String notLiteral :
        new String[] {
          "localhost", "beef", "1.2.3.256", "1.2.3", "fe80::1%eth0", ".::1", "", "::g"
        }) {
      assertThat(NetworkAddress.parse(notLiteral)).as(notLiteral).isNull();
    }
  }

  @Test
  void aNetworkHasNoBitsRightOfItsMask() {
    assertThat(NetworkAddress.hostBitsClear(new byte[] {10, 0, 0, 0}, 8)).isTrue();
    assertThat(NetworkAddress.hostBitsClear(new byte[] {10, 0, 0, 1}, 8)).isFalse();
    assertThat(NetworkAddress.hostBitsClear(new byte[] {10, (byte) 0x80, 0, 0}, 9)).isTrue();
    assertThat(NetworkAddress.hostBitsClear(new byte[] {10, (byte) 0xc0, 0, 0}, 9)).isFalse();
  }
}
