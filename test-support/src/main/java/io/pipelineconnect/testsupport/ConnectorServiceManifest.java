package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Checks that every concrete connector class a module compiles is declared in its {@code
 * META-INF/services} file.
 *
 * <p>Workers with {@code plugin.discovery=service_load} (and the test kit's {@code hybrid_fail})
 * find connectors only through those files, so a missing line means a connector that silently does
 * not exist, or a worker that refuses to start. Each connector module runs this on its {@code
 * target/classes} in a unit test.
 */
public final class ConnectorServiceManifest {
  private ConnectorServiceManifest() {}

  /** Connector classes compiled into {@code classesDir} that its services files do not list. */
  public static Set<String> undeclaredConnectors(Path classesDir) {
    Set<String> missing = new TreeSet<>(compiledConnectors(classesDir, SinkConnector.class));
    missing.removeAll(declared(classesDir, SinkConnector.class));
    Set<String> missingSources =
        new TreeSet<>(compiledConnectors(classesDir, SourceConnector.class));
    missingSources.removeAll(declared(classesDir, SourceConnector.class));
    missing.addAll(missingSources);
    return missing;
  }

  /** Concrete classes under {@code classesDir} that extend the given connector type. */
  public static Set<String> compiledConnectors(
      Path classesDir, Class<? extends Connector> connectorType) {
    Set<String> found = new TreeSet<>();
    if (!Files.isDirectory(classesDir)) {
      return found;
    }
    try (Stream<Path> files = Files.walk(classesDir);
        URLClassLoader loader =
            new URLClassLoader(
                new java.net.URL[] {classesDir.toUri().toURL()},
                ConnectorServiceManifest.class.getClassLoader())) {
      List<String> classNames = new ArrayList<>();
      files
          .filter(p -> p.toString().endsWith(".class") && !p.toString().contains("$"))
          .forEach(
              p -> {
                String relative = classesDir.relativize(p).toString();
                classNames.add(relative.substring(0, relative.length() - 6).replace('/', '.'));
              });
      for (String name : classNames) {
        Class<?> type = Class.forName(name, false, loader);
        if (connectorType.isAssignableFrom(type)
            && !Modifier.isAbstract(type.getModifiers())
            && Modifier.isPublic(type.getModifiers())) {
          found.add(name);
        }
      }
      return found;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Could not load a compiled class of " + classesDir, e);
    }
  }

  /** The class names a services file under {@code classesDir} declares for the type. */
  public static Set<String> declared(Path classesDir, Class<?> serviceType) {
    Path file = classesDir.resolve("META-INF/services/" + serviceType.getName());
    Set<String> names = new TreeSet<>();
    if (!Files.isRegularFile(file)) {
      return names;
    }
    try {
      for (String line : Files.readAllLines(file)) {
        String name = line.replaceAll("#.*", "").trim();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }
}
