package io.pipelineconnect.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.connect.source.SourceConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectorServiceManifestTest {
  private static final Path TEST_CLASSES = Path.of("target", "test-classes");

  @Test
  void findsTheDeclaredTestConnectorAndNothingMissing() {
    assertThat(ConnectorServiceManifest.compiledConnectors(TEST_CLASSES, SourceConnector.class))
        .containsExactly(TickSourceConnector.class.getName());
    assertThat(ConnectorServiceManifest.undeclaredConnectors(TEST_CLASSES)).isEmpty();
  }

  @Test
  void reportsAConnectorMissingFromServices(@TempDir Path classes) throws IOException {
    Path classFile = Path.of(TickSourceConnector.class.getName().replace('.', '/') + ".class");
    Files.createDirectories(classes.resolve(classFile).getParent());
    Files.copy(TEST_CLASSES.resolve(classFile), classes.resolve(classFile));

    assertThat(ConnectorServiceManifest.undeclaredConnectors(classes))
        .containsExactly(TickSourceConnector.class.getName());
  }
}
