package io.pipelineconnect.sink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP address literals from untrusted records, as bytes for inet and cidr columns: never a name
 * lookup. {@link InetAddress#getByName} resolves anything that does not look like a literal, so a
 * record could make the task query DNS; it is only handed text that can only be an IPv6 literal.
 */
final class NetworkAddress {
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

  /**
   * Hex digits, colons and dots, with a colon and starting with a hex digit or a colon: the JDK
   * parses such text as an IPv6 literal or refuses it, and never looks it up.
   */
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:][0-9a-fA-F:.]*");

  private NetworkAddress() {}

  /** The address's 4 or 16 bytes, or null if the text is not a literal IPv4 or IPv6 address. */
  static byte[] parse(String text) {
    if (IPV4.matcher(text).matches()) {
      String[] parts = text.split("\\.");
      byte[] address = new byte[4];
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(parts[i]);
        if (octet > 255) {
          return null;
        }
        address[i] = (byte) octet;
      }
      return address;
    }
    if (text.indexOf(':') < 0 || !IPV6.matcher(text).matches()) {
      return null;
    }
    byte[] address;
    try {
      address = InetAddress.getByName(text).getAddress();
    } catch (UnknownHostException notAnAddress) {
      return null;
    }
    if (address.length == 4) {
      // The JDK gives an IPv4-mapped IPv6 address (::ffff:1.2.3.4) as IPv4; PostgreSQL keeps it
      // an IPv6 address, which it is.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(address, 0, mapped, 12, 4);
      return mapped;
    }
    return address;
  }

  /** Whether every bit of the address after the first {@code bits} is zero (a network). */
  static boolean hostBitsClear(byte[] address, int bits) {
    for (int bit = bits; bit < address.length * 8; bit++) {
      if ((address[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
        return false;
      }
    }
    return true;
  }
}
