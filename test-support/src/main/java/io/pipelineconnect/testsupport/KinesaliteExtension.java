package io.pipelineconnect.testsupport;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** One kinesalite per test class, on a free loopback port. */
public final class KinesaliteExtension implements BeforeAllCallback, AfterAllCallback {
  private KinesaliteServer server;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = KinesaliteServer.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  public KinesaliteServer server() {
    return server;
  }
}
