environment = {
  account_id = "123456789012"
  name       = "dev"
  outputs    = {
    VpcId       = "vpc-1"
    ClusterName = "c1"
  }
}

service = {
  name = "svc"
}

service_instance = {
  name       = "inst"
  inputs     = {
    port    = 80
    ratio   = 0.5
    public  = false
    subnets = ["a", "b"]
    tags    = {
      team = "x"
    }
  }
  components = {
    default = {
      name    = "comp"
      outputs = {
        Output1 = "hello"
        Output2 = "world"
      }
    }
  }
}
