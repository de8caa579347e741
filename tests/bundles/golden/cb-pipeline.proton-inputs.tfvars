pipeline = {
  inputs = {
    unit_test_command = "make test"
  }
}

service = {
  name                      = "svc"
  branch_name               = "main"
  repository_connection_arn = "arn:aws:codestar-connections:us-east-1:123456789012:connection/x"
  repository_id             = "acme/app"
}

service_instances = [{
  name        = "one"
  inputs      = {
    port = 80
  }
  outputs     = {
    Url = "http://one"
  }
  environment = {
    account_id = "123456789012"
    name       = "dev"
    outputs    = {
      VpcId       = "vpc-1"
      ClusterName = "c1"
    }
  }
}, {
  name        = "two"
  inputs      = {
    port = 81
  }
  outputs     = {
    Url = "http://two"
  }
  environment = {
    account_id = "123456789012"
    name       = "dev"
    outputs    = {
      VpcId       = "vpc-1"
      ClusterName = "c1"
    }
  }
}]
