package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ConnectorServiceManifest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every connector this module compiles is declared in META-INF/services, or workers miss it. */
class ServiceManifestTest {
  @Test
  void everyConnectorIsDeclaredInMetaInfServices() {
    assertThat(ConnectorServiceManifest.undeclaredConnectors(Path.of("target", "classes")))
        .as("connector classes missing from src/main/resources/META-INF/services")
        .isEmpty();
  }
}
