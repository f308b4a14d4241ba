package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.LiveValidation;
import java.util.Set;
import org.apache.kafka.common.config.Config;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * {@code validate()}'s look at Kinesis: one DescribeStreamSummary call, read only, with the
 * connector's own endpoint and credentials, so a stream that is not there, credentials Kinesis
 * refuses, a caller without rights on the stream, or an endpoint out of reach is named on the key
 * to change instead of failing the task with the SDK's words.
 */
final class KinesisPreflight {
  /** Error codes with which AWS refuses the caller rather than the request. */
  private static final Set<String> REFUSED_CALLER =
      Set.of(
          "UnrecognizedClientException",
          "InvalidSignatureException",
          "IncompleteSignature",
          "ExpiredTokenException",
          "InvalidClientTokenId",
          "AccessDeniedException",
          "AccessDenied");

  private KinesisPreflight() {}

  /**
   * @param config a config of one stream
   * @param streamKey where a finding about the stream goes: the key the user named it under
   */
  static void check(KinesisSourceConfig config, String streamKey, Config result) {
    String where =
        "region "
            + config.region()
            + config.endpointUrl().map(url -> " (kinesis.url " + url + ")").orElse("");
    StreamRef stream = config.streamRef();
    try (KinesisClient kinesis = KinesisClientFactory.createForCheck(config)) {
      kinesis.describeStreamSummary(b -> b.streamName(stream.name()).streamARN(stream.arn()));
    } catch (ResourceNotFoundException e) {
      LiveValidation.addError(
          result,
          streamKey,
          "Stream "
              + stream
              + " does not exist in "
              + where
              + ": create it, or set "
              + streamKey
              + " and kinesis.region to an existing one");
    } catch (AwsServiceException e) {
      String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
      String answer =
          code
              + ": "
              + (e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage());
      if (REFUSED_CALLER.contains(code)) {
        LiveValidation.addError(
            result,
            credentialsKey(config),
            "Kinesis in "
                + where
                + " refused the caller for stream "
                + stream
                + " ("
                + answer
                + "): check the credentials, and grant kinesis:DescribeStreamSummary,"
                + " kinesis:ListShards, kinesis:GetShardIterator and kinesis:GetRecords on the"
                + " stream");
      } else {
        LiveValidation.addError(
            result,
            streamKey,
            "Kinesis in " + where + " could not describe stream " + stream + " (" + answer + ")");
      }
    } catch (SdkClientException e) {
      LiveValidation.addError(
          result,
          config.endpointUrl().isPresent() ? KinesisSourceConfig.URL : KinesisSourceConfig.REGION,
          "Could not reach Kinesis in "
              + where
              + " within 5 s ("
              + e.getMessage()
              + "): check the endpoint and that this worker can reach it");
    }
  }

  /** The key of the credentials in use: the ones Kinesis refused. */
  private static String credentialsKey(KinesisSourceConfig config) {
    if (config.roleArn().isPresent()) {
      return KinesisSourceConfig.ROLE_ARN;
    }
    if (config.accessKeyId().isPresent()) {
      return KinesisSourceConfig.ACCESS_KEY_ID;
    }
    if (config.credentialsFile().isPresent()) {
      return KinesisSourceConfig.CREDENTIALS_FILE;
    }
    return KinesisSourceConfig.ACCESS_KEY_ID;
  }
}
