package io.pipelineconnect.testsupport;

import java.io.StringWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Everything logged in this JVM (at the levels the test configuration lets through) while it is
 * open, with stack traces: for tests that check what reaches the logs, e.g. no secret.
 */
public final class CapturedLog implements AutoCloseable {
  private final StringWriter text = new StringWriter();
  private final WriterAppender appender;
  private final LoggerContext context;

  private CapturedLog() {
    context = (LoggerContext) LogManager.getContext(false);
    appender =
        WriterAppender.newBuilder()
            .setName("captured-" + System.identityHashCode(this))
            .setTarget(text)
            .setLayout(PatternLayout.newBuilder().withPattern("%p %c: %m%n%throwable").build())
            .build();
    appender.start();
    Configuration configuration = context.getConfiguration();
    configuration.getRootLogger().addAppender(appender, Level.ALL, null);
    context.updateLoggers();
  }

  public static CapturedLog start() {
    return new CapturedLog();
  }

  /** What was logged so far. */
  public String text() {
    synchronized (text) {
      return text.toString();
    }
  }

  @Override
  public void close() {
    context.getConfiguration().getRootLogger().removeAppender(appender.getName());
    context.updateLoggers();
    appender.stop();
  }
}
